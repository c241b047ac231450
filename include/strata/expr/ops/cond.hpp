#pragma once
/// \file cond: one of two expressions, chosen by a flag fixed when the expression is built (like
/// tf.cond). Only the chosen branch is evaluated and differentiated.
///
///     auto y = strata::cond(training, x * mask, x);   // both branches of x's shape

#include <utility>

#include "strata/expr/node.hpp"

namespace strata {

/// cond's branches must have the same rank and equal extents, a `dyn` one matching any; the
/// result takes the static extent where either branch has one.
template <std::size_t RankA, std::size_t RankB>
constexpr rule_result<RankA> cond_rule(const extents<RankA>& a, const extents<RankB>& b) {
  rule_result<RankA> result{RankA == RankB, a};
  if constexpr (RankA == RankB) {
    for (std::size_t i = 0; i < RankA; ++i) {
      result.ok = result.ok && extents_agree(a[i], b[i]);
      result.dims[i] = known_extent(a[i], b[i]);
    }
  }
  return result;
}

namespace detail {

template <class A, class B>
struct cond_branches_must_agree {
  static constexpr bool value = cond_rule(A::dims, B::dims).ok;
  static_assert(value, "strata: cond's branches (shapes named above) must have the same rank and equal extents");
};

}  // namespace detail

/// `A` when `first`, else `B`; the other branch is never evaluated.
template <class A, class B>
class cond_node : public expression_tag {
  using T = typename A::scalar_type;
  static_assert(std::same_as<T, typename B::scalar_type>, "strata: cond's branches must have the same scalar type");

 public:
  using scalar_type = T;
  using shape_type = shape_from<cond_rule(A::shape_type::dims, B::shape_type::dims).dims>;

  cond_node(bool first, A a, B b) : first_(first), a_(std::move(a)), b_(std::move(b)) {
    const auto result = cond_rule(a_.dims(), b_.dims());
    check_shapes(result.ok, "cond", a_.dims(), b_.dims());
    dims_ = result.dims;
  }

  [[nodiscard]] const extents<shape_type::rank>& dims() const { return dims_; }
  [[nodiscard]] bool first() const { return first_; }
  [[nodiscard]] const T* data() const { return data_; }

  void forward() const {
    if (first_) {
      a_.forward();
      data_ = detail::materialize(a_, buffer_);
    } else {
      b_.forward();
      data_ = detail::materialize(b_, buffer_);
    }
  }

  [[nodiscard]] auto lower() const {
    const canvas_extents c = canvas_of(dims_);
    return const_canvas_map<T>(data_, c.rows, c.cols);
  }

  [[nodiscard]] bool depends_on(const gradient_sink<T>& sink) const {
    return first_ ? a_.depends_on(sink) : b_.depends_on(sink);
  }

  template <class Adjoint>
  void backward(const Adjoint& adjoint, const gradient_sink<T>& sink) const {
    if (first_) {
      a_.backward(adjoint, sink);
    } else {
      b_.backward(adjoint, sink);
    }
  }

  void recycle(const cond_node& previous) const {
    buffer_.swap(previous.buffer_);
    detail::recycle(a_, previous.a_);
    detail::recycle(b_, previous.b_);
  }

 private:
  bool first_;
  A a_;
  B b_;
  extents<shape_type::rank> dims_{};
  mutable const T* data_ = nullptr;
  mutable canvas_array<T> buffer_;
};

/// The value of `a` when `first`, else of `b` (tf.cond with the flag known when the expression is
/// built). The branches must have the same rank and extents (a static mismatch does not compile;
/// a `dyn` one throws shape_error naming both shapes).
///
///     auto out = strata::cond(use_bias, x + bias, x);
template <node_operand A, node_operand B>
auto cond(bool first, A&& a, B&& b) {
  using node_a = node_of<scalar_of<A>, A>;
  using node_b = node_of<scalar_of<B>, B>;
  static_assert(std::same_as<scalar_of<A>, scalar_of<B>>, "strata: cond's branches must have the same scalar type");
  if constexpr (detail::cond_branches_must_agree<typename node_a::shape_type, typename node_b::shape_type>::value &&
                std::same_as<scalar_of<A>, scalar_of<B>>) {
    return cond_node<node_a, node_b>(first, as_node(std::forward<A>(a)), as_node(std::forward<B>(b)));
  }
}

}  // namespace strata
