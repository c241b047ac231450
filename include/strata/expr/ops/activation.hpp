#pragma once
/// \file A Keras activation chosen at run time by name, and the node that applies it.
///
///     strata::activation a = "relu";            // or activation::kind::relu; "silu" is swish
///     auto y = strata::activate(x * w + b, a);  // x's shape; softmax along the last axis
///     nlohmann::json j = a;                     // "relu", as Keras writes it
///
/// The formulas are those of the elementwise ops (elementwise_unary.hpp) and of strata::softmax,
/// so `activate(x, "gelu")` computes exactly what `strata::gelu(x)` does.

#include <array>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "strata/expr/elementwise.hpp"
#include "strata/expr/node.hpp"
#include "strata/expr/ops/elementwise_unary.hpp"
#include "strata/expr/ops/softmax.hpp"

namespace strata {

/// One of Keras' activations, by name; the default is linear (the identity).
///
///     strata::activation a = "gelu";
///     assert(a.which() == strata::activation::kind::gelu && a.name() == "gelu");
///     strata::activation b{"tanhh"};  // std::invalid_argument listing the known names
class activation {
 public:
  enum class kind { linear, relu, sigmoid, tanh, softmax, gelu, elu, selu, swish, softplus };

  activation() = default;
  activation(kind k) : kind_(k) {}  // NOLINT: implicit, so a layer takes `activation::kind::relu`
  activation(const char* name) : activation(name ? std::string_view(name) : std::string_view()) {}  // NOLINT: "relu"
  activation(std::string_view name) : kind_(parse(name)) {}                                          // NOLINT

  [[nodiscard]] kind which() const { return kind_; }
  /// The name Keras gives it (the enumerator's name).
  [[nodiscard]] std::string_view name() const { return names[static_cast<std::size_t>(kind_)]; }

  friend bool operator==(const activation&, const activation&) = default;

 private:
  static constexpr std::array<std::string_view, 10> names{"linear", "relu", "sigmoid", "tanh",  "softmax",
                                                          "gelu",   "elu",  "selu",    "swish", "softplus"};

  static kind parse(std::string_view name) {
    for (std::size_t i = 0; i < names.size(); ++i)
      if (names[i] == name) return static_cast<kind>(i);
    if (name == "silu") return kind::swish;  // Keras 3 writes swish as "silu"
    throw std::invalid_argument(fmt::format("strata: unknown activation '{}'; known: {}, silu", name,
                                            fmt::join(names.begin(), names.end(), ", ")));
  }

  kind kind_ = kind::linear;
};

/// The activation as Keras writes it in a config: its name, e.g. "relu".
inline void to_json(nlohmann::json& j, const activation& a) { j = std::string(a.name()); }

/// Reads an activation's name; std::invalid_argument for an unknown name or anything but a string.
inline void from_json(const nlohmann::json& j, activation& a) {
  if (!j.is_string())
    throw std::invalid_argument(fmt::format(
        "strata: an activation is written as a string such as \"relu\", found {} {}", j.type_name(), j.dump()));
  a = activation(std::string_view(j.get_ref<const std::string&>()));
}

namespace detail {

/// Calls `visit(op)` with the elementwise op of an activation other than linear and softmax:
/// one switch per evaluation, and each case an Eigen expression of its own (vectorised).
template <class Visit>
void visit_elementwise_activation(activation::kind k, Visit&& visit) {
  using kind = activation::kind;
  switch (k) {
    case kind::relu: return visit(ops::relu_op{});
    case kind::sigmoid: return visit(ops::sigmoid_op{});
    case kind::tanh: return visit(ops::tanh_op{});
    case kind::gelu: return visit(ops::gelu_op{});
    case kind::elu: return visit(ops::elu_op{1.0});  // Keras' default alpha
    case kind::selu: return visit(ops::selu_op{});
    case kind::swish: return visit(ops::swish_op{});
    case kind::softplus: return visit(ops::softplus_op{});
    case kind::linear:
    case kind::softmax: break;
  }
}

// The kernels depend on the scalar type only, not on the operand's node type: compiled once per
// scalar type however many expressions apply activations.

/// The canvas columns, which are the lanes of strata::softmax along the last axis (the same Eigen
/// types, so the same arithmetic); a rank-0 operand is one lane of one element.
inline lane_layout activation_lanes(index rows, index cols) { return {.outer = cols, .mid = rows, .inner = 1}; }

/// y = f(x) for an activation other than linear.
template <scalar T>
void activation_forward(activation::kind k, const const_canvas_map<T>& x, canvas_array<T>& y) {
  if (k == activation::kind::softmax) {
    y = x;
    activation_lanes(y.rows(), y.cols()).each([](auto lane) { ops::softmax_kind::forward(lane); }, y.data());
  } else {
    visit_elementwise_activation(k, [&](const auto& op) { y = op.forward(x); });
  }
}

/// dx = f'(x) ⊙ g for an activation other than linear, from its input x and output y.
template <scalar T>
void activation_backward(activation::kind k, const const_canvas_map<T>& g, const const_canvas_map<T>& x,
                         const const_canvas_map<T>& y, canvas_array<T>& dx) {
  if (k == activation::kind::softmax) {
    dx.resize(g.rows(), g.cols());
    activation_lanes(g.rows(), g.cols())
        .each([](auto dx_lane, auto y_lane, auto g_lane) { ops::softmax_kind::backward(dx_lane, y_lane, g_lane); },
              dx.data(), y.data(), g.data());
  } else {
    visit_elementwise_activation(k, [&]<class Op>(const Op& op) {
      if constexpr (op_uses_output<Op>) {
        dx = op.template backward<0>(g, y, x);
      } else {
        dx = op.template backward<0>(g, x);
      }
    });
  }
}

}  // namespace detail

/// `Arg` through the activation `a`, chosen at run time.
template <class Arg>
class activation_node : public expression_tag {
  using T = typename Arg::scalar_type;
  using kind = activation::kind;

 public:
  using scalar_type = T;
  using shape_type = typename Arg::shape_type;

  activation_node(Arg arg, activation a) : arg_(std::move(arg)), activation_(a), dims_(arg_.dims()) {}

  [[nodiscard]] const extents<shape_type::rank>& dims() const { return dims_; }
  [[nodiscard]] const activation& function() const { return activation_; }
  [[nodiscard]] const T* data() const { return data_; }

  void forward() const {
    arg_.forward();
    x_ = detail::materialize(arg_, input_);
    if (activation_.which() == kind::linear) {
      data_ = x_;  // the identity: the operand's memory is the value
      return;
    }
    detail::activation_forward<T>(activation_.which(), canvas(x_), value_);
    data_ = value_.data();
  }

  [[nodiscard]] auto lower() const { return canvas(data_); }

  [[nodiscard]] bool depends_on(const gradient_sink<T>& sink) const { return arg_.depends_on(sink); }

  template <class Adjoint>
  void backward(const Adjoint& adjoint, const gradient_sink<T>& sink) const {
    const auto g = canvas(detail::materialize_adjoint(adjoint, adjoint_));
    if (activation_.which() == kind::linear) {
      arg_.backward(g, sink);
      return;
    }
    detail::activation_backward<T>(activation_.which(), g, canvas(x_), canvas(data_), gradient_);
    arg_.backward(canvas(gradient_.data()), sink);
  }

  void recycle(const activation_node& previous) const {
    detail::swap_buffers(std::tie(input_, value_, adjoint_, gradient_),
                         std::tie(previous.input_, previous.value_, previous.adjoint_, previous.gradient_));
    detail::recycle(arg_, previous.arg_);
  }

 private:
  [[nodiscard]] const_canvas_map<T> canvas(const T* data) const {
    const canvas_extents c = canvas_of(dims_);
    return const_canvas_map<T>(data, c.rows, c.cols);
  }

  Arg arg_;
  activation activation_;
  extents<shape_type::rank> dims_;
  mutable const T* x_ = nullptr;     // the operand's value, kept for backward
  mutable const T* data_ = nullptr;  // this node's value: value_, or x_ when linear
  mutable canvas_array<T> input_, value_, adjoint_, gradient_;
};

/// `a` applied to `x`: a node of x's shape and scalar type. Softmax runs along the last axis.
///
///     auto hidden = strata::activate(strata::matmul(x, w) + b, config.activation);
template <node_operand X>
auto activate(X&& x, activation a) {
  return activation_node<node_of<scalar_of<X>, X>>(as_node(std::forward<X>(x)), a);
}

}  // namespace strata
