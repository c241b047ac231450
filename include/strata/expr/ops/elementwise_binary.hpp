#pragma once
/// \file Elementwise binary and ternary ops with numpy broadcasting: + - * /, pow, maximum,
/// minimum, select and the comparisons. Operands are tensors, expressions or numbers.
///
///     auto y = x * w + b;                    // (batch, f) * (f) + (f)
///     auto z = strata::maximum(y, 0.0f);
///     auto s = strata::select(x > 0.0f, x, 0.1f * x);

#include <utility>

#include "strata/expr/elementwise.hpp"

namespace strata {
namespace ops {

template <class X>
using scalar_of_array = typename std::decay_t<X>::Scalar;

struct add_op {
  static constexpr const char* name = "add";
  auto forward(const auto& a, const auto& b) const { return a + b; }
  template <std::size_t I>
  auto backward(const auto& g, const auto&, const auto&) const { return g; }
};

struct sub_op {
  static constexpr const char* name = "subtract";
  auto forward(const auto& a, const auto& b) const { return a - b; }
  template <std::size_t I>
  auto backward(const auto& g, const auto&, const auto&) const {
    if constexpr (I == 0) {
      return g;
    } else {
      return -g;
    }
  }
};

struct mul_op {
  static constexpr const char* name = "multiply";
  auto forward(const auto& a, const auto& b) const { return a * b; }
  template <std::size_t I>
  auto backward(const auto& g, const auto& a, const auto& b) const {  // d(ab) = b da + a db
    if constexpr (I == 0) {
      return g * b;
    } else {
      return g * a;
    }
  }
};

struct div_op {
  static constexpr const char* name = "divide";
  auto forward(const auto& a, const auto& b) const { return a / b; }
  template <std::size_t I>
  auto backward(const auto& g, const auto& a, const auto& b) const {  // d(a/b) = da/b - a db/b²
    if constexpr (I == 0) {
      return g / b;
    } else {
      return -g * a / b.square();
    }
  }
};

struct pow_op {
  static constexpr const char* name = "pow";
  auto forward(const auto& a, const auto& b) const { return a.pow(b); }
  template <std::size_t I>
  auto backward(const auto& g, const auto& a, const auto& b) const {  // d aᵇ = b aᵇ⁻¹ da + aᵇ log a db
    using S = scalar_of_array<decltype(a)>;
    if constexpr (I == 0) {
      return g * b * a.pow(b - S(1));
    } else {
      // log a taken as 0 where a <= 0, as TensorFlow does, so that 0ᵇ and (-2)³ give 0, not NaN.
      return g * a.pow(b) * (a > S(0)).select(a.log(), S(0));
    }
  }
};

/// Ties send the gradient to the first operand, as TensorFlow does.
struct maximum_op {
  static constexpr const char* name = "maximum";
  auto forward(const auto& a, const auto& b) const { return a.max(b); }
  template <std::size_t I>
  auto backward(const auto& g, const auto& a, const auto& b) const {
    using S = scalar_of_array<decltype(a)>;
    if constexpr (I == 0) {
      return g * (a >= b).template cast<S>();
    } else {
      return g * (a < b).template cast<S>();
    }
  }
};

struct minimum_op {
  static constexpr const char* name = "minimum";
  auto forward(const auto& a, const auto& b) const { return a.min(b); }
  template <std::size_t I>
  auto backward(const auto& g, const auto& a, const auto& b) const {
    using S = scalar_of_array<decltype(a)>;
    if constexpr (I == 0) {
      return g * (a <= b).template cast<S>();
    } else {
      return g * (a > b).template cast<S>();
    }
  }
};

/// `condition ? a : b` elementwise, a nonzero condition counting as true (tf.where).
struct select_op {
  static constexpr const char* name = "select";
  auto forward(const auto& condition, const auto& a, const auto& b) const {
    using S = scalar_of_array<decltype(a)>;
    return (condition != S(0)).select(a, b);
  }
  template <std::size_t I>
  auto backward(const auto& g, const auto& condition, const auto&, const auto&) const {
    using S = scalar_of_array<decltype(g)>;
    if constexpr (I == 0) {
      return no_gradient{};
    } else if constexpr (I == 1) {
      return g * (condition != S(0)).template cast<S>();
    } else {
      return g * (condition == S(0)).template cast<S>();
    }
  }
};

/// Comparisons give 1 or 0 in the operands' scalar type and pass no gradient.
template <class Compare>
struct compare_op {
  static constexpr const char* name = Compare::name;
  auto forward(const auto& a, const auto& b) const {
    using S = scalar_of_array<decltype(a)>;
    return Compare::apply(a, b).template cast<S>();
  }
  template <std::size_t>
  no_gradient backward(const auto&, const auto&, const auto&) const {
    return {};
  }
};

struct greater {
  static constexpr const char* name = "greater";
  static auto apply(const auto& a, const auto& b) { return a > b; }
};
struct greater_equal {
  static constexpr const char* name = "greater_equal";
  static auto apply(const auto& a, const auto& b) { return a >= b; }
};
struct less {
  static constexpr const char* name = "less";
  static auto apply(const auto& a, const auto& b) { return a < b; }
};
struct less_equal {
  static constexpr const char* name = "less_equal";
  static auto apply(const auto& a, const auto& b) { return a <= b; }
};

}  // namespace ops

/// Two operands of an elementwise op, at least one of them a tensor or an expression.
template <class A, class B>
concept operand_pair = operand<A> && operand<B> && (node_operand<A> || node_operand<B>);

template <class A, class B> requires operand_pair<A, B>
auto operator+(A&& a, B&& b) { return make_elementwise(ops::add_op{}, std::forward<A>(a), std::forward<B>(b)); }
template <class A, class B> requires operand_pair<A, B>
auto operator-(A&& a, B&& b) { return make_elementwise(ops::sub_op{}, std::forward<A>(a), std::forward<B>(b)); }
template <class A, class B> requires operand_pair<A, B>
auto operator*(A&& a, B&& b) { return make_elementwise(ops::mul_op{}, std::forward<A>(a), std::forward<B>(b)); }
template <class A, class B> requires operand_pair<A, B>
auto operator/(A&& a, B&& b) { return make_elementwise(ops::div_op{}, std::forward<A>(a), std::forward<B>(b)); }
template <class A, class B> requires operand_pair<A, B>
auto pow(A&& a, B&& b) { return make_elementwise(ops::pow_op{}, std::forward<A>(a), std::forward<B>(b)); }
template <class A, class B> requires operand_pair<A, B>
auto maximum(A&& a, B&& b) { return make_elementwise(ops::maximum_op{}, std::forward<A>(a), std::forward<B>(b)); }
template <class A, class B> requires operand_pair<A, B>
auto minimum(A&& a, B&& b) { return make_elementwise(ops::minimum_op{}, std::forward<A>(a), std::forward<B>(b)); }

template <class A, class B> requires operand_pair<A, B>
auto operator>(A&& a, B&& b) {
  return make_elementwise(ops::compare_op<ops::greater>{}, std::forward<A>(a), std::forward<B>(b));
}
template <class A, class B> requires operand_pair<A, B>
auto operator>=(A&& a, B&& b) {
  return make_elementwise(ops::compare_op<ops::greater_equal>{}, std::forward<A>(a), std::forward<B>(b));
}
template <class A, class B> requires operand_pair<A, B>
auto operator<(A&& a, B&& b) {
  return make_elementwise(ops::compare_op<ops::less>{}, std::forward<A>(a), std::forward<B>(b));
}
template <class A, class B> requires operand_pair<A, B>
auto operator<=(A&& a, B&& b) {
  return make_elementwise(ops::compare_op<ops::less_equal>{}, std::forward<A>(a), std::forward<B>(b));
}

/// `condition ? a : b` elementwise (tf.where); all three broadcast together.
template <class C, class A, class B>
  requires operand<C> && operand<A> && operand<B> && (node_operand<C> || node_operand<A> || node_operand<B>)
auto select(C&& condition, A&& a, B&& b) {
  return make_elementwise(ops::select_op{}, std::forward<C>(condition), std::forward<A>(a), std::forward<B>(b));
}

}  // namespace strata
