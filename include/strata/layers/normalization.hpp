#pragma once
/// \file LayerNormalization and BatchNormalization, as Keras defines them (biased variance,
/// epsilon inside the square root, learned scale `gamma` and offset `beta`).
///
///     strata::LayerNormalization{}                      // over the last axis of each example
///     strata::BatchNormalization{.momentum = 0.9}       // over the batch; moving statistics at inference

#include <stdexcept>

#include <fmt/format.h>

#include "strata/eval/evaluate.hpp"
#include "strata/expr/ops/cond.hpp"
#include "strata/expr/ops/elementwise_binary.hpp"
#include "strata/expr/ops/elementwise_unary.hpp"
#include "strata/expr/ops/reduce.hpp"
#include "strata/expr/ops/reshape.hpp"
#include "strata/layers/layer.hpp"

namespace strata {

namespace detail {

template <class Layer>
void require_last_axis(const Layer& layer, std::size_t rank) {
  if (layer.axis != -1 && layer.axis != static_cast<int>(rank) - 1)
    throw std::invalid_argument(fmt::format("strata: {} normalises the last axis (axis -1); axis {} is not supported",
                                            Layer::class_name, layer.axis));
}

/// `e` seen as rows of features (every axis but the last folded into the first), whatever of its
/// extents are dyn.
template <node_operand E>
auto feature_rows(E&& e) {
  using node = node_of<scalar_of<E>, E>;
  using in = typename node::shape_type;
  node rows = as_node(std::forward<E>(e));
  const index features = rows.dims()[in::rank - 1];
  return reshape_node<shape<dyn, in::last>, node>(std::move(rows), {dyn, features});
}

}  // namespace detail

/// (x - mean) / sqrt(variance + epsilon) · gamma + beta, statistics over the last axis.
struct LayerNormalization {
  STRATA_CONFIG(LayerNormalization,
                (int, axis, -1),
                (double, epsilon, 1e-3),
                (bool, center, true),
                (bool, scale, true),
                (initializer, beta_initializer, init::zeros),
                (initializer, gamma_initializer, init::ones));

  template <class Builder>
  auto build(Builder& b) const {
    detail::require_last_axis(*this, Builder::input_shape::rank);
    return weights(b.weight("gamma", dims(b.last()), gamma_initializer).only_if(scale),
                   b.weight("beta", dims(b.last()), beta_initializer).only_if(center));
  }

  auto call(auto x, auto gamma, auto beta) const {
    const auto centered = x - mean(x, ::strata::axis<-1>, keepdims);
    const auto variance = mean(square(centered), ::strata::axis<-1>, keepdims);
    // An absent weight is zero (weight_spec::only_if): without gamma the scale is 0 + 1.
    return centered / sqrt(variance + epsilon) * (gamma + (scale ? 0.0 : 1.0)) + beta;
  }
};

/// Normalises each feature over the batch (and every axis but the last). In training it uses the
/// batch's statistics (gradients flow through them) and updates the moving ones:
/// moving = moving · momentum + batch · (1 - momentum); at inference it uses the moving ones.
struct BatchNormalization {
  STRATA_CONFIG(BatchNormalization,
                (int, axis, -1),
                (double, momentum, 0.99),
                (double, epsilon, 1e-3),
                (bool, center, true),
                (bool, scale, true),
                (initializer, beta_initializer, init::zeros),
                (initializer, gamma_initializer, init::ones),
                (initializer, moving_mean_initializer, init::zeros),
                (initializer, moving_variance_initializer, init::ones));

  template <class Builder>
  auto build(Builder& b) const {
    detail::require_last_axis(*this, Builder::input_shape::rank);
    return weights(b.weight("gamma", dims(b.last()), gamma_initializer).only_if(scale),
                   b.weight("beta", dims(b.last()), beta_initializer).only_if(center),
                   b.weight("moving_mean", dims(b.last()), moving_mean_initializer, non_trainable),
                   b.weight("moving_variance", dims(b.last()), moving_variance_initializer, non_trainable));
  }

  template <class X>
  auto call(X x, auto gamma, auto beta, auto moving_mean, auto moving_variance, const call_context& context) const {
    // Every axis but the last is reduced: seen as rows of features, it is axis 0.
    const auto batch_mean = mean(detail::feature_rows(x), ::strata::axis<0>);
    const auto centered = x - batch_mean;
    const auto batch_variance = mean(square(detail::feature_rows(centered)), ::strata::axis<0>);
    // A frozen BatchNormalization runs in inference mode even while the model trains, as in
    // Keras: its moving statistics stay as they are.
    const bool training = context.training && trainable;
    if (training) {
      // Evaluated here, while the expression is built, since the update must not wait for backward.
      using T = typename X::scalar_type;
      const T keep = T(momentum), take = T(1 - momentum);
      moving_mean.assign(moving_mean * keep + eval(batch_mean) * take);
      moving_variance.assign(moving_variance * keep + eval(batch_variance) * take);
    }
    // An absent weight is zero (weight_spec::only_if): without gamma the scale is 0 + 1.
    const auto scale_factor = gamma + (scale ? 0.0 : 1.0);
    return cond(training, centered / sqrt(batch_variance + epsilon) * scale_factor + beta,
                (x - moving_mean) / sqrt(moving_variance + epsilon) * scale_factor + beta);
  }
};

}  // namespace strata
