#pragma once
/// \file pick: one entry of the last axis per position, chosen by an integer label (the
/// log-probability of the true class in a sparse cross-entropy).
///
///     strata::tensor<float, strata::shape<strata::dyn, 10>> logits = ...;
///     strata::tensor<std::int32_t, strata::shape<strata::dyn>> labels = ...;   // (batch)
///     auto true_class = strata::pick(strata::log_softmax(logits), labels);     // (batch)
///
/// out[i...] = x[i..., labels[i...]]. The labels are held by reference and must outlive the
/// expression; each must lie in [0, C) for C the last extent of x.

#include <cstdint>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "strata/expr/materialized.hpp"
#include "strata/expr/node.hpp"

namespace strata {
namespace detail {

/// x's shape without its last axis.
template <shape_type S>
struct picked_shape {
  static constexpr auto dims = [] {
    extents<S::rank - 1> result{};
    for (std::size_t i = 0; i + 1 < S::rank; ++i) result[i] = S::dims[i];
    return result;
  }();
  using type = shape_from<dims>;
};

template <shape_type X, shape_type Labels>
struct pick_labels_must_fit {
  static constexpr bool value = [] {
    if (X::rank != Labels::rank + 1) return false;
    for (std::size_t i = 0; i < Labels::rank; ++i)
      if (!extents_agree(X::dims[i], Labels::dims[i])) return false;
    return true;
  }();
  static_assert(value,
                "strata: pick needs one label per position of x without its last axis: the labels' shape (second "
                "above) must be the values' shape (first above) with the last axis removed");
};

}  // namespace detail

template <class Arg, class Label, shape_type Labels>
class pick_node : public detail::materialized<typename Arg::scalar_type, Labels> {
  using T = typename Arg::scalar_type;
  using base = detail::materialized<T, Labels>;

 public:
  pick_node(Arg arg, const tensor<Label, Labels>& labels) : base(labels.dims()), arg_(std::move(arg)), labels_(&labels) {
    for (std::size_t i = 0; i < Labels::rank; ++i)
      if (arg_.dims()[i] != labels.dims()[i])
        throw shape_error(fmt::format("strata: pick: labels of shape {} do not fit values of shape {} (one label per "
                                      "position of all but the last axis)",
                                      format_dims(labels.dims()), format_dims(arg_.dims())));
  }

  void forward() const {
    if (labels_->dims() != this->dims_)
      throw shape_error(fmt::format("strata: the labels of pick were resized from {} to {} after the expression was "
                                    "built; build the expression again",
                                    format_dims(this->dims_), format_dims(labels_->dims())));
    arg_.forward();
    const T* x = detail::materialize(arg_, buffer_);
    T* out = this->value().data();
    const index classes = class_count();
    for (index i = 0; i < labels_->size(); ++i) out[i] = x[i * classes + label(i)];
  }

  [[nodiscard]] bool depends_on(const gradient_sink<T>& sink) const { return arg_.depends_on(sink); }

  // dx[i, c] = g[i] where c = labels[i], else 0
  template <class Adjoint>
  void backward(const Adjoint& adjoint, const gradient_sink<T>& sink) const {
    const T* g = detail::materialize_adjoint(adjoint, this->adjoint_);
    const canvas_extents c = canvas_of(arg_.dims());
    gradient_.setZero(c.rows, c.cols);
    for (index i = 0; i < labels_->size(); ++i) gradient_(label(i), i) = g[i];
    arg_.backward(const_canvas_map<T>(gradient_.data(), c.rows, c.cols), sink);
  }

  void recycle(const pick_node& previous) const {
    this->recycle_buffers(previous);
    detail::swap_buffers(std::tie(buffer_, gradient_), std::tie(previous.buffer_, previous.gradient_));
    detail::recycle(arg_, previous.arg_);
  }

 private:
  [[nodiscard]] index class_count() const { return arg_.dims()[Arg::shape_type::rank - 1]; }

  [[nodiscard]] index label(index i) const {
    const auto value = static_cast<index>(labels_->data()[i]);
    if (value < 0 || value >= class_count())
      throw std::out_of_range(fmt::format("strata: pick: label {} at flat position {} is out of range for {} classes "
                                          "(valid: 0 .. {})",
                                          value, i, class_count(), class_count() - 1));
    return value;
  }

  Arg arg_;
  const tensor<Label, Labels>* labels_;
  mutable canvas_array<T> buffer_, gradient_;
};

/// x[..., labels[...]]: for each position of x's leading axes, the entry its integer label picks
/// from the last axis. Shape: x's without the last axis. std::out_of_range for a label outside
/// [0, C), naming it.
template <node_operand X, class Label, shape_type Labels>
auto pick(X&& x, const tensor<Label, Labels>& labels) {
  static_assert(std::same_as<Label, std::int32_t> || std::same_as<Label, std::int64_t>,
                "strata: pick needs integer labels (std::int32_t or std::int64_t)");
  using node = node_of<scalar_of<X>, X>;
  if constexpr (detail::pick_labels_must_fit<typename node::shape_type, Labels>::value) {
    return pick_node<node, Label, Labels>(as_node(std::forward<X>(x)), labels);
  }
}

}  // namespace strata
