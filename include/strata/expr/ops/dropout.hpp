#pragma once
/// \file Inverted dropout: in training each element is kept with probability 1 - rate and scaled
/// by 1 / (1 - rate), so inference needs no rescaling and passes values through untouched.
///
///     auto y = strata::dropout(x, 0.5, /*training=*/true, /*seed=*/42);

#include <random>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "strata/expr/materialized.hpp"
#include "strata/expr/node.hpp"

namespace strata {

template <class Arg>
class dropout_node : public detail::materialized<typename Arg::scalar_type, typename Arg::shape_type> {
  using T = typename Arg::scalar_type;
  using base = detail::materialized<T, typename Arg::shape_type>;

 public:
  dropout_node(Arg arg, double rate, bool training, std::uint64_t seed)
      : base(arg.dims()), arg_(std::move(arg)), rate_(rate), training_(training && rate > 0), seed_(seed) {
    if (!(rate >= 0 && rate < 1))
      throw std::invalid_argument(fmt::format("strata: dropout rate must be in [0, 1), found {}", rate));
  }

  void forward() const {
    arg_.forward();
    auto& out = this->value();
    const canvas_extents c = canvas_of(this->dims_);
    if (!training_) {
      out.canvas() = arg_.lower();
      return;
    }
    // The mask holds 0 or 1 / (1 - rate): y = x ⊙ mask, so dy/dx = mask.
    mask_.resize(c.rows, c.cols);
    std::mt19937_64 engine(seed_);
    std::bernoulli_distribution keep(1 - rate_);
    const T scale = T(1 / (1 - rate_));
    for (index i = 0; i < mask_.size(); ++i) mask_.data()[i] = keep(engine) ? scale : T(0);
    out.canvas() = arg_.lower() * mask_;
  }

  [[nodiscard]] bool depends_on(const gradient_sink<T>& sink) const { return arg_.depends_on(sink); }

  template <class Adjoint>
  void backward(const Adjoint& adjoint, const gradient_sink<T>& sink) const {
    if (!training_) {
      arg_.backward(adjoint, sink);
    } else {
      arg_.backward(adjoint * mask_, sink);
    }
  }

  void recycle(const dropout_node& previous) const {
    this->recycle_buffers(previous);
    mask_.swap(previous.mask_);
    detail::recycle(arg_, previous.arg_);
  }

 private:
  Arg arg_;
  double rate_;
  bool training_;
  std::uint64_t seed_;
  mutable canvas_array<T> mask_;
};

/// Inverted dropout of `x` (see the file comment); the identity when `training` is false.
template <node_operand X>
auto dropout(X&& x, double rate, bool training, std::uint64_t seed) {
  using node = node_of<scalar_of<X>, X>;
  return dropout_node<node>(as_node(std::forward<X>(x)), rate, training, seed);
}

}  // namespace strata
