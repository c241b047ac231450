#pragma once
/// \file reshape: the same elements in the same row-major order under new extents; at most one
/// target extent may be `dyn`, and it is inferred from the element count.
///
///     auto flat = strata::reshape<strata::dyn, 784>(images);   // (None, 28, 28) → (None, 784)

#include <utility>

#include "strata/expr/node.hpp"

namespace strata {

/// `Arg` seen with extents `Target`. When `Arg` is already in memory nothing is copied.
template <shape_type Target, class Arg>
class reshape_node : public expression_tag {
  using T = typename Arg::scalar_type;

 public:
  using scalar_type = T;
  using shape_type = shape_from<reshape_rule(Arg::shape_type::dims, Target::dims).dims>;

  explicit reshape_node(Arg arg) : reshape_node(std::move(arg), Target::dims) {}

  /// With run-time target extents: `Target`'s static ones, and values known when the node is built
  /// for some of its `dyn` ones (the batch extent a layer keeps); one may still be `dyn`, inferred.
  reshape_node(Arg arg, const extents<Target::rank>& target) : arg_(std::move(arg)) {
    const auto result = reshape_rule(arg_.dims(), target);
    bool agrees = true;
    for (std::size_t i = 0; i < Target::rank; ++i) agrees = agrees && extents_agree(Target::dims[i], target[i]);
    if (!result.ok || !agrees)
      throw shape_error(fmt::format("strata: reshape: {} elements of shape {} do not fit shape {}",
                                    element_count(arg_.dims()), format_dims(arg_.dims()), format_dims(target)));
    dims_ = result.dims;
  }

  [[nodiscard]] const extents<shape_type::rank>& dims() const { return dims_; }
  [[nodiscard]] const T* data() const { return data_; }

  void forward() const {
    arg_.forward();
    data_ = detail::materialize(arg_, buffer_);
  }

  [[nodiscard]] auto lower() const {
    const canvas_extents c = canvas_of(dims_);
    return const_canvas_map<T>(data_, c.rows, c.cols);
  }

  [[nodiscard]] bool depends_on(const gradient_sink<T>& sink) const { return arg_.depends_on(sink); }

  template <class Adjoint>
  void backward(const Adjoint& adjoint, const gradient_sink<T>& sink) const {
    const T* g = detail::materialize_adjoint(adjoint, adjoint_);
    const canvas_extents c = canvas_of(arg_.dims());
    arg_.backward(const_canvas_map<T>(g, c.rows, c.cols), sink);
  }

  void recycle(const reshape_node& previous) const {
    detail::swap_buffers(std::tie(buffer_, adjoint_), std::tie(previous.buffer_, previous.adjoint_));
    detail::recycle(arg_, previous.arg_);
  }

 private:
  Arg arg_;
  extents<shape_type::rank> dims_{};
  mutable const T* data_ = nullptr;
  mutable canvas_array<T> buffer_, adjoint_;
};

/// The elements of `x` with extents `Dims...` (one of them may be `dyn`, inferred).
template <index... Dims, node_operand X>
auto reshape(X&& x) {
  using node = node_of<scalar_of<X>, X>;
  static_assert(detail::reshape_must_keep_element_count<typename node::shape_type, shape<Dims...>>::value);
  return reshape_node<shape<Dims...>, node>(as_node(std::forward<X>(x)));
}

}  // namespace strata
