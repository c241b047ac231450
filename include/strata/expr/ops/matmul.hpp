#pragma once
/// \file Matrix products and the transpose of the last two axes, on Eigen's GEMM.
///
///     auto scores = strata::matmul(q, strata::transpose(k));   // (b, n, d)·(b, d, n) → (b, n, n)
///     auto y = strata::matmul(x, w);                           // (b, n, k)·(k, m) → (b, n, m)

#include <utility>

#include "strata/expr/materialized.hpp"
#include "strata/expr/node.hpp"

namespace strata {
namespace detail {

template <scalar T>
using row_matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <scalar T>
using row_matrix_map = Eigen::Map<row_matrix<T>>;
template <scalar T>
using const_row_matrix_map = Eigen::Map<const row_matrix<T>>;

template <std::size_t Rank>
index batch_count(const extents<Rank>& dims) {
  index batch = 1;
  for (std::size_t i = 0; i + 2 < Rank; ++i) batch *= dims[i];
  return batch;
}

}  // namespace detail

/// `A · B` over the last two axes: one GEMM when B has rank 2, one per batch entry otherwise.
template <class A, class B>
class matmul_node
    : public detail::materialized<typename A::scalar_type, matmul_shape<typename A::shape_type, typename B::shape_type>> {
  using T = typename A::scalar_type;
  using base = detail::materialized<T, matmul_shape<typename A::shape_type, typename B::shape_type>>;
  static constexpr std::size_t rank_a = A::shape_type::rank, rank_b = B::shape_type::rank;
  static_assert(std::same_as<T, typename B::scalar_type>, "strata: matmul operands must have the same scalar type");

 public:
  matmul_node(A a, B b) : base(output_dims(a, b)), a_(std::move(a)), b_(std::move(b)) {}

  void forward() const {
    a_.forward();
    b_.forward();
    a_data_ = detail::materialize(a_, a_buffer_);
    b_data_ = detail::materialize(b_, b_buffer_);
    T* c = this->value().data();
    const index n = rows(), k = inner(), m = cols();
    if constexpr (rank_b == 2) {
      detail::row_matrix_map<T>(c, batch() * n, m).noalias() =
          detail::const_row_matrix_map<T>(a_data_, batch() * n, k) * detail::const_row_matrix_map<T>(b_data_, k, m);
    } else {
      for (index i = 0; i < batch(); ++i)
        detail::row_matrix_map<T>(c + i * n * m, n, m).noalias() =
            detail::const_row_matrix_map<T>(a_data_ + i * n * k, n, k) *
            detail::const_row_matrix_map<T>(b_data_ + i * k * m, k, m);
    }
  }

  [[nodiscard]] bool depends_on(const gradient_sink<T>& sink) const { return a_.depends_on(sink) || b_.depends_on(sink); }

  template <class Adjoint>
  void backward(const Adjoint& adjoint, const gradient_sink<T>& sink) const {
    const T* g = detail::materialize_adjoint(adjoint, this->adjoint_);
    const index n = rows(), k = inner(), m = cols();
    if (a_.depends_on(sink)) {  // dA = dC · Bᵀ
      const canvas_extents c = canvas_of(a_.dims());
      a_gradient_.resize(c.rows, c.cols);
      for (index i = 0; i < (rank_b == 2 ? 1 : batch()); ++i) {
        const index rows_i = rank_b == 2 ? batch() * n : n;
        detail::row_matrix_map<T>(a_gradient_.data() + i * n * k, rows_i, k).noalias() =
            detail::const_row_matrix_map<T>(g + i * n * m, rows_i, m) *
            detail::const_row_matrix_map<T>(b_data_ + i * k * m, k, m).transpose();
      }
      a_.backward(const_canvas_map<T>(a_gradient_.data(), c.rows, c.cols), sink);
    }
    if (b_.depends_on(sink)) {  // dB = Aᵀ · dC, summed over the batch when B is shared
      const canvas_extents c = canvas_of(b_.dims());
      b_gradient_.resize(c.rows, c.cols);
      for (index i = 0; i < (rank_b == 2 ? 1 : batch()); ++i) {
        const index rows_i = rank_b == 2 ? batch() * n : n;
        detail::row_matrix_map<T>(b_gradient_.data() + i * k * m, k, m).noalias() =
            detail::const_row_matrix_map<T>(a_data_ + i * n * k, rows_i, k).transpose() *
            detail::const_row_matrix_map<T>(g + i * n * m, rows_i, m);
      }
      b_.backward(const_canvas_map<T>(b_gradient_.data(), c.rows, c.cols), sink);
    }
  }

  void recycle(const matmul_node& previous) const {
    this->recycle_buffers(previous);
    detail::swap_buffers(std::tie(a_buffer_, b_buffer_, a_gradient_, b_gradient_),
                         std::tie(previous.a_buffer_, previous.b_buffer_, previous.a_gradient_, previous.b_gradient_));
    detail::recycle(a_, previous.a_);
    detail::recycle(b_, previous.b_);
  }

 private:
  static auto output_dims(const A& a, const B& b) {
    const auto result = matmul_rule(a.dims(), b.dims());
    check_shapes(result.ok, "matmul", a.dims(), b.dims());
    return result.dims;
  }
  [[nodiscard]] index batch() const { return detail::batch_count(a_.dims()); }
  [[nodiscard]] index rows() const { return a_.dims()[rank_a - 2]; }
  [[nodiscard]] index inner() const { return a_.dims()[rank_a - 1]; }
  [[nodiscard]] index cols() const { return b_.dims()[rank_b - 1]; }

  A a_;
  B b_;
  mutable const T* a_data_ = nullptr;
  mutable const T* b_data_ = nullptr;
  mutable canvas_array<T> a_buffer_, b_buffer_, a_gradient_, b_gradient_;
};

/// Swaps the last two axes.
template <class Arg>
class transpose_node : public detail::materialized<typename Arg::scalar_type,
                                                   shape_from<transpose_rule(Arg::shape_type::dims).dims>> {
  using T = typename Arg::scalar_type;
  using base = detail::materialized<T, shape_from<transpose_rule(Arg::shape_type::dims).dims>>;
  static constexpr std::size_t rank = Arg::shape_type::rank;

 public:
  explicit transpose_node(Arg arg) : base(transpose_rule(arg.dims()).dims), arg_(std::move(arg)) {}

  void forward() const {
    arg_.forward();
    swap_last_axes(detail::materialize(arg_, input_), this->value().data(), arg_.dims()[rank - 2], arg_.dims()[rank - 1]);
  }

  [[nodiscard]] bool depends_on(const gradient_sink<T>& sink) const { return arg_.depends_on(sink); }

  template <class Adjoint>
  void backward(const Adjoint& adjoint, const gradient_sink<T>& sink) const {
    const T* g = detail::materialize_adjoint(adjoint, this->adjoint_);
    const canvas_extents c = canvas_of(arg_.dims());
    gradient_.resize(c.rows, c.cols);
    swap_last_axes(g, gradient_.data(), this->dims_[rank - 2], this->dims_[rank - 1]);  // the adjoint of a transpose
    arg_.backward(const_canvas_map<T>(gradient_.data(), c.rows, c.cols), sink);
  }

  void recycle(const transpose_node& previous) const {
    this->recycle_buffers(previous);
    detail::swap_buffers(std::tie(input_, gradient_), std::tie(previous.input_, previous.gradient_));
    detail::recycle(arg_, previous.arg_);
  }

 private:
  void swap_last_axes(const T* in, T* out, index n, index m) const {
    for (index i = 0; i < detail::batch_count(arg_.dims()); ++i)
      detail::row_matrix_map<T>(out + i * n * m, m, n) = detail::const_row_matrix_map<T>(in + i * n * m, n, m).transpose();
  }

  Arg arg_;
  mutable canvas_array<T> input_, gradient_;
};

/// Matrix product over the last two axes: (n, k)·(k, m), (..., n, k)·(k, m) or (b, n, k)·(b, k, m).
template <node_operand A, node_operand B>
auto matmul(A&& a, B&& b) {
  using T = scalar_of<A>;
  using node_a = node_of<T, A>;
  using node_b = node_of<T, B>;
  static_assert(detail::matmul_shapes_must_fit<typename node_a::shape_type, typename node_b::shape_type>::value);
  return matmul_node<node_a, node_b>(as_node<T>(std::forward<A>(a)), as_node<T>(std::forward<B>(b)));
}

/// Swaps the last two axes (a matrix transpose, batched over the leading axes).
template <node_operand X>
auto transpose(X&& x) {
  using node = node_of<scalar_of<X>, X>;
  static_assert(detail::transpose_needs_rank_2<typename node::shape_type>::value);
  return transpose_node<node>(as_node(std::forward<X>(x)));
}

}  // namespace strata
