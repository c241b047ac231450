#pragma once
/// \file The common part of nodes that keep their value in memory (matmul, reductions, softmax,
/// transpose, reshape): the value buffer, owned by the node and reused between evaluations.

#include "strata/expr/node.hpp"

namespace strata::detail {

template <scalar T, shape_type Shape>
class materialized : public expression_tag {
 public:
  using scalar_type = T;
  using shape_type = Shape;

  [[nodiscard]] const extents<Shape::rank>& dims() const { return dims_; }
  [[nodiscard]] const T* data() const { return value_.data(); }
  [[nodiscard]] auto lower() const { return std::as_const(value_).canvas(); }

 protected:
  explicit materialized(const extents<Shape::rank>& dims) : dims_(dims) {}

  /// Takes over the value and adjoint buffers of `previous` (see detail::recycle).
  void recycle_buffers(const materialized& previous) const {
    swap_buffers(std::tie(value_, adjoint_), std::tie(previous.value_, previous.adjoint_));
  }

  /// The value buffer, sized for the node's extents (no allocation once it has been).
  tensor<T, Shape>& value() const {
    value_.resize(dims_);
    return value_;
  }

  extents<Shape::rank> dims_;
  mutable tensor<T, Shape> value_;
  mutable canvas_array<T> adjoint_;  // the incoming adjoint, evaluated once
};

}  // namespace strata::detail
