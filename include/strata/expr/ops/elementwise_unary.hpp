#pragma once
/// \file Elementwise unary ops, each with its forward and its derivative side by side.
///
///     auto y = strata::tanh(x);          // x: a tensor or an expression
///     auto z = strata::clip(y, -0.5, 0.5);
///
/// Formulas are written so Eigen vectorises them (max/min rather than branches); activations
/// follow Keras' definitions and defaults.

#include <numbers>
#include <utility>

#include <Eigen/Core>
#include <unsupported/Eigen/SpecialFunctions>

#include "strata/expr/elementwise.hpp"

namespace strata {
namespace ops {

template <class X>
using scalar_t = typename X::Scalar;

/// 1 where `condition` holds, else 0, in the array's scalar type.
template <class X, class Condition>
auto indicator(const Condition& condition) {
  return condition.template cast<scalar_t<X>>();
}

struct neg_op {
  static constexpr const char* name = "neg";
  auto forward(const auto& x) const { return -x; }
  template <std::size_t>
  auto backward(const auto& g, const auto&) const { return -g; }
};

struct exp_op {
  static constexpr const char* name = "exp";
  static constexpr bool uses_output = true;
  auto forward(const auto& x) const { return x.exp(); }
  template <std::size_t>
  auto backward(const auto& g, const auto& y, const auto&) const { return g * y; }  // d exp x = exp x = y
};

struct log_op {
  static constexpr const char* name = "log";
  auto forward(const auto& x) const { return x.log(); }
  template <std::size_t>
  auto backward(const auto& g, const auto& x) const { return g / x; }  // d log x = 1/x
};

struct sqrt_op {
  static constexpr const char* name = "sqrt";
  auto forward(const auto& x) const { return x.sqrt(); }
  template <std::size_t>
  auto backward(const auto& g, const auto& x) const {  // d √x = 1/(2√x)
    using S = scalar_t<std::decay_t<decltype(x)>>;
    return g * S(0.5) / x.sqrt();
  }
};

struct square_op {
  static constexpr const char* name = "square";
  auto forward(const auto& x) const { return x.square(); }
  template <std::size_t>
  auto backward(const auto& g, const auto& x) const {  // d x² = 2x
    using S = scalar_t<std::decay_t<decltype(x)>>;
    return g * S(2) * x;
  }
};

struct abs_op {
  static constexpr const char* name = "abs";
  auto forward(const auto& x) const { return x.abs(); }
  template <std::size_t>
  auto backward(const auto& g, const auto& x) const { return g * x.sign(); }  // d|x| = sign x (0 at 0, as TF)
};

struct tanh_op {
  static constexpr const char* name = "tanh";
  static constexpr bool uses_output = true;
  auto forward(const auto& x) const { return x.tanh(); }
  template <std::size_t>
  auto backward(const auto& g, const auto& y, const auto&) const {  // d tanh x = 1 - tanh² x = 1 - y²
    using S = scalar_t<std::decay_t<decltype(y)>>;
    return g * (S(1) - y.square());
  }
};

struct sigmoid_op {
  static constexpr const char* name = "sigmoid";
  static constexpr bool uses_output = true;
  auto forward(const auto& x) const { return x.logistic(); }
  template <std::size_t>
  auto backward(const auto& g, const auto& y, const auto&) const {  // d σ(x) = σ(x)(1 - σ(x)) = y(1 - y)
    using S = scalar_t<std::decay_t<decltype(y)>>;
    return g * y * (S(1) - y);
  }
};

struct relu_op {
  static constexpr const char* name = "relu";
  auto forward(const auto& x) const {
    using S = scalar_t<std::decay_t<decltype(x)>>;
    return x.max(S(0));
  }
  template <std::size_t>
  auto backward(const auto& g, const auto& x) const {  // 1 for x > 0, else 0 (0 at 0, as TF)
    using X = std::decay_t<decltype(x)>;
    return g * indicator<X>(x > scalar_t<X>(0));
  }
};

/// max(x, 0) + α·min(x, 0); Keras' LeakyReLU default negative slope is 0.3.
struct leaky_relu_op {
  static constexpr const char* name = "leaky_relu";
  double alpha = 0.3;
  auto forward(const auto& x) const {
    using S = scalar_t<std::decay_t<decltype(x)>>;
    return x.max(S(0)) + S(alpha) * x.min(S(0));
  }
  template <std::size_t>
  auto backward(const auto& g, const auto& x) const {
    using X = std::decay_t<decltype(x)>;
    using S = scalar_t<X>;
    return g * (indicator<X>(x > S(0)) + S(alpha) * indicator<X>(x <= S(0)));
  }
};

/// x for x > 0, α(eˣ - 1) otherwise.
struct elu_op {
  static constexpr const char* name = "elu";
  double alpha = 1.0;
  auto forward(const auto& x) const {
    using S = scalar_t<std::decay_t<decltype(x)>>;
    return x.max(S(0)) + S(alpha) * (x.min(S(0)).exp() - S(1));
  }
  template <std::size_t>
  auto backward(const auto& g, const auto& x) const {  // 1 for x > 0, α·eˣ otherwise
    using X = std::decay_t<decltype(x)>;
    using S = scalar_t<X>;
    return g * (indicator<X>(x > S(0)) + S(alpha) * x.min(S(0)).exp() * indicator<X>(x <= S(0)));
  }
};

/// scale·elu(x, α) with the self-normalising constants of Klambauer et al. (2017), as Keras.
struct selu_op {
  static constexpr const char* name = "selu";
  static constexpr double alpha = 1.6732632423543772848170429916717;
  static constexpr double scale = 1.0507009873554804934193349852946;
  auto forward(const auto& x) const {
    using S = scalar_t<std::decay_t<decltype(x)>>;
    return S(scale) * elu_op{alpha}.forward(x);
  }
  template <std::size_t I>
  auto backward(const auto& g, const auto& x) const {
    using S = scalar_t<std::decay_t<decltype(x)>>;
    return S(scale) * elu_op{alpha}.template backward<I>(g, x);
  }
};

/// Exact GELU, x·Φ(x) = ½x(1 + erf(x/√2)) (Keras' default, approximate=False).
struct gelu_op {
  static constexpr const char* name = "gelu";
  auto forward(const auto& x) const {
    using S = scalar_t<std::decay_t<decltype(x)>>;
    return S(0.5) * x * (S(1) + (x * S(std::numbers::sqrt2 / 2)).erf());
  }
  template <std::size_t>
  auto backward(const auto& g, const auto& x) const {  // Φ(x) + x·φ(x)
    using S = scalar_t<std::decay_t<decltype(x)>>;
    const S inv_sqrt_2pi = S(0.5 * std::numbers::inv_sqrtpi * std::numbers::sqrt2);
    return g * (S(0.5) * (S(1) + (x * S(std::numbers::sqrt2 / 2)).erf()) +
                x * (S(-0.5) * x.square()).exp() * inv_sqrt_2pi);
  }
};

/// log(1 + eˣ), computed as max(x, 0) + log1p(e^-|x|) so it never overflows.
struct softplus_op {
  static constexpr const char* name = "softplus";
  auto forward(const auto& x) const {
    using S = scalar_t<std::decay_t<decltype(x)>>;
    return x.max(S(0)) + (-x.abs()).exp().log1p();
  }
  template <std::size_t>
  auto backward(const auto& g, const auto& x) const { return g * x.logistic(); }  // d softplus = σ
};

/// x·σ(x) (also called SiLU).
struct swish_op {
  static constexpr const char* name = "swish";
  auto forward(const auto& x) const { return x * x.logistic(); }
  template <std::size_t>
  auto backward(const auto& g, const auto& x) const {  // σ + x·σ(1 - σ)
    using S = scalar_t<std::decay_t<decltype(x)>>;
    return g * (x.logistic() + x * x.logistic() * (S(1) - x.logistic()));
  }
};

/// min(max(x, low), high); the gradient passes where low <= x <= high, as tf.clip_by_value.
struct clip_op {
  static constexpr const char* name = "clip";
  double low = 0, high = 0;
  auto forward(const auto& x) const {
    using S = scalar_t<std::decay_t<decltype(x)>>;
    return x.max(S(low)).min(S(high));
  }
  template <std::size_t>
  auto backward(const auto& g, const auto& x) const {
    using X = std::decay_t<decltype(x)>;
    using S = scalar_t<X>;
    return g * indicator<X>((x >= S(low)) && (x <= S(high)));
  }
};

}  // namespace ops

template <node_operand X> auto operator-(X&& x) { return make_elementwise(ops::neg_op{}, std::forward<X>(x)); }
template <node_operand X> auto exp(X&& x) { return make_elementwise(ops::exp_op{}, std::forward<X>(x)); }
template <node_operand X> auto log(X&& x) { return make_elementwise(ops::log_op{}, std::forward<X>(x)); }
template <node_operand X> auto sqrt(X&& x) { return make_elementwise(ops::sqrt_op{}, std::forward<X>(x)); }
template <node_operand X> auto square(X&& x) { return make_elementwise(ops::square_op{}, std::forward<X>(x)); }
template <node_operand X> auto abs(X&& x) { return make_elementwise(ops::abs_op{}, std::forward<X>(x)); }
template <node_operand X> auto tanh(X&& x) { return make_elementwise(ops::tanh_op{}, std::forward<X>(x)); }
template <node_operand X> auto sigmoid(X&& x) { return make_elementwise(ops::sigmoid_op{}, std::forward<X>(x)); }
template <node_operand X> auto relu(X&& x) { return make_elementwise(ops::relu_op{}, std::forward<X>(x)); }
template <node_operand X> auto leaky_relu(X&& x, double alpha = 0.3) {
  return make_elementwise(ops::leaky_relu_op{alpha}, std::forward<X>(x));
}
template <node_operand X> auto elu(X&& x, double alpha = 1.0) {
  return make_elementwise(ops::elu_op{alpha}, std::forward<X>(x));
}
template <node_operand X> auto selu(X&& x) { return make_elementwise(ops::selu_op{}, std::forward<X>(x)); }
template <node_operand X> auto gelu(X&& x) { return make_elementwise(ops::gelu_op{}, std::forward<X>(x)); }
template <node_operand X> auto softplus(X&& x) { return make_elementwise(ops::softplus_op{}, std::forward<X>(x)); }
template <node_operand X> auto swish(X&& x) { return make_elementwise(ops::swish_op{}, std::forward<X>(x)); }
/// Clips to [low, high], like tf.clip_by_value.
template <node_operand X> auto clip(X&& x, double low, double high) {
  return make_elementwise(ops::clip_op{low, high}, std::forward<X>(x));
}

}  // namespace strata
