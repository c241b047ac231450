#pragma once
/// \file Regression losses: mean squared error, mean absolute error, Huber.
///
///     strata::loss::huber loss{.delta = 0.5};
///     float value = model.backward(x, [&](const auto& y) { return loss(y, target); });
///
/// Each takes predictions and targets of the same shape and returns the mean of the elementwise
/// loss over every element (Keras: the mean over the last axis, then over the batch).

#include <utility>

#include "strata/expr/ops/elementwise_binary.hpp"
#include "strata/expr/ops/elementwise_unary.hpp"
#include "strata/expr/ops/reduce.hpp"
#include "strata/losses/loss.hpp"

namespace strata::loss {

namespace detail {

/// `y_pred - y_true` after the shape checks every regression loss makes.
template <class Loss, node_operand Prediction, node_operand Target>
auto error(Prediction&& y_pred, Target&& y_true) {
  if constexpr (targets_fit<Prediction, Target>) {
    check_targets(Loss::name, y_pred, y_true);
    return std::forward<Prediction>(y_pred) - std::forward<Target>(y_true);
  }
}

}  // namespace detail

/// mean((y_pred - y_true)²), Keras' "mean_squared_error".
struct mean_squared_error {
  static constexpr std::string_view name = "mean_squared_error";
  STRATA_REFLECT(mean_squared_error);

  template <node_operand Prediction, node_operand Target>
  auto operator()(Prediction&& y_pred, Target&& y_true) const {
    return mean(square(detail::error<mean_squared_error>(std::forward<Prediction>(y_pred), std::forward<Target>(y_true))));
  }
};

/// mean(|y_pred - y_true|), Keras' "mean_absolute_error".
struct mean_absolute_error {
  static constexpr std::string_view name = "mean_absolute_error";
  STRATA_REFLECT(mean_absolute_error);

  template <node_operand Prediction, node_operand Target>
  auto operator()(Prediction&& y_pred, Target&& y_true) const {
    return mean(abs(detail::error<mean_absolute_error>(std::forward<Prediction>(y_pred), std::forward<Target>(y_true))));
  }
};

/// Huber loss: ½e² where |e| ≤ delta, delta·(|e| - ½delta) beyond, for e = y_pred - y_true.
/// Written as ½q² + delta·(|e| - q) with q = min(|e|, delta), as Keras computes it.
struct huber {
  static constexpr std::string_view name = "huber";
  STRATA_REFLECT(huber, (double, delta, 1.0));

  template <node_operand Prediction, node_operand Target>
  auto operator()(Prediction&& y_pred, Target&& y_true) const {
    auto absolute = abs(detail::error<huber>(std::forward<Prediction>(y_pred), std::forward<Target>(y_true)));
    auto quadratic = minimum(absolute, delta);
    return mean(0.5 * square(quadratic) + delta * (absolute - quadratic));
  }
};

}  // namespace strata::loss
