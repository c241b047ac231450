#pragma once
/// \file Cross-entropy losses: binary, categorical (one-hot targets) and sparse categorical
/// (integer labels), each from logits or from probabilities, numerically stable.
///
///     strata::loss::sparse_categorical_crossentropy loss{.from_logits = true};
///     float value = model.backward(x, [&](const auto& logits) { return loss(logits, labels); });
///
/// From logits they go through log_softmax or softplus, so no exp overflows; from probabilities
/// the probabilities are clipped to [1e-7, 1 - 1e-7] first, as Keras does (its epsilon).

#include <cstdint>
#include <utility>

#include "strata/expr/ops/cond.hpp"
#include "strata/expr/ops/elementwise_binary.hpp"
#include "strata/expr/ops/elementwise_unary.hpp"
#include "strata/expr/ops/pick.hpp"
#include "strata/expr/ops/reduce.hpp"
#include "strata/expr/ops/softmax.hpp"
#include "strata/losses/loss.hpp"

namespace strata::loss {

/// Keras' backend epsilon: probabilities are clipped to [epsilon, 1 - epsilon] before a log.
inline constexpr double epsilon = 1e-7;

/// Binary cross-entropy, mean over every element. Targets in [0, 1], shaped like the predictions.
/// From logits: softplus(x) - x·z, which is log(1 + e^-|x|) + max(x, 0) - x·z and never overflows.
/// From probabilities p: -(z·log p + (1 - z)·log(1 - p)) with p clipped.
struct binary_crossentropy {
  static constexpr std::string_view name = "binary_crossentropy";
  STRATA_REFLECT(binary_crossentropy, (bool, from_logits, false));

  template <node_operand Prediction, node_operand Target>
  auto operator()(Prediction&& y_pred, Target&& y_true) const {
    if constexpr (detail::targets_fit<Prediction, Target>) {
      detail::check_targets(name, y_pred, y_true);
      auto x = as_node<scalar_of<Prediction>>(std::forward<Prediction>(y_pred));
      auto z = as_node<scalar_of<Prediction>>(std::forward<Target>(y_true));
      auto p = clip(x, epsilon, 1 - epsilon);
      return mean(cond(from_logits, softplus(x) - x * z, -(z * log(p) + (1 - z) * log(1 - p))));
    }
  }
};

/// Categorical cross-entropy with one-hot (or soft) targets along the last axis: the sum over the
/// classes of -target·log(probability), averaged over the samples.
/// From logits: log_softmax(x). From probabilities: each row is normalised to sum 1 and clipped.
struct categorical_crossentropy {
  static constexpr std::string_view name = "categorical_crossentropy";
  STRATA_REFLECT(categorical_crossentropy, (bool, from_logits, false));

  template <node_operand Prediction, node_operand Target>
  auto operator()(Prediction&& y_pred, Target&& y_true) const {
    if constexpr (detail::targets_fit<Prediction, Target>) {
      detail::check_targets(name, y_pred, y_true);
      const double inverse_samples = 1.0 / double(detail::sample_count(y_pred.dims()));
      auto x = as_node<scalar_of<Prediction>>(std::forward<Prediction>(y_pred));
      auto z = as_node<scalar_of<Prediction>>(std::forward<Target>(y_true));
      auto log_probabilities =
          cond(from_logits, log_softmax(x), log(clip(x / sum(x, axis<-1>, keepdims), epsilon, 1 - epsilon)));
      return -(sum(z * log_probabilities) * inverse_samples);
    }
  }
};

/// Categorical cross-entropy with integer class labels (one per sample, shaped like the
/// predictions without their last axis): -log p[label], averaged over the samples.
/// From probabilities: clipped, then renormalised through log_softmax(log p) as TensorFlow does.
struct sparse_categorical_crossentropy {
  static constexpr std::string_view name = "sparse_categorical_crossentropy";
  STRATA_REFLECT(sparse_categorical_crossentropy, (bool, from_logits, false));

  template <node_operand Prediction, class Label, shape_type Labels>
  auto operator()(Prediction&& y_pred, const tensor<Label, Labels>& labels) const {
    auto x = as_node<scalar_of<Prediction>>(std::forward<Prediction>(y_pred));
    return -mean(pick(cond(from_logits, log_softmax(x), log_softmax(log(clip(x, epsilon, 1 - epsilon)))), labels));
  }
};

}  // namespace strata::loss
