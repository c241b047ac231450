#pragma once
/// \file Learning rates: a constant, or a schedule of the optimizer's step count (Keras'
/// ExponentialDecay and CosineDecay, with the same formulas and arguments).
///
///     strata::optim::adam optimizer{.learning_rate = strata::optim::cosine_decay{
///         .initial_learning_rate = 1e-3, .decay_steps = 10000, .alpha = 0.1}};
///     double rate = optimizer.learning_rate(step);   // the rate Keras would use at that step

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <variant>

#include <fmt/format.h>

#include "strata/core/reflect.hpp"

namespace strata::optim {

/// initial · decay_rate^(step / decay_steps); with `staircase`, the exponent is floored, so the
/// rate drops every decay_steps steps.
struct exponential_decay {
  static constexpr std::string_view name = "ExponentialDecay";
  STRATA_REFLECT(exponential_decay, (double, initial_learning_rate, 0.01), (double, decay_steps, 1000.0),
                 (double, decay_rate, 0.96), (bool, staircase, false));

  [[nodiscard]] double operator()(std::int64_t step) const {
    double exponent = double(step) / decay_steps;
    if (staircase) exponent = std::floor(exponent);
    return initial_learning_rate * std::pow(decay_rate, exponent);
  }
};

/// Cosine decay from the initial rate (or, after a linear warm-up of warmup_steps, from
/// warmup_target) to alpha · that rate over decay_steps, then constant (Loshchilov & Hutter).
struct cosine_decay {
  static constexpr std::string_view name = "CosineDecay";
  STRATA_REFLECT(cosine_decay, (double, initial_learning_rate, 0.01), (double, decay_steps, 1000.0),
                 (double, alpha, 0.0), (std::optional<double>, warmup_target, std::nullopt),
                 (double, warmup_steps, 0.0));

  [[nodiscard]] double operator()(std::int64_t step) const {
    const double s = double(step);
    if (warmup_target && s < warmup_steps)
      return initial_learning_rate + (*warmup_target - initial_learning_rate) * (s / warmup_steps);
    const double peak = warmup_target ? *warmup_target : initial_learning_rate;
    const double progress = std::min(s - (warmup_target ? warmup_steps : 0.0), decay_steps) / decay_steps;
    const double cosine = 0.5 * (1 + std::cos(std::numbers::pi * progress));
    return peak * ((1 - alpha) * cosine + alpha);
  }
};

/// An optimizer's learning rate: a number or one of the schedules above.
class schedule {
 public:
  schedule(double constant) : rate_(constant) {}                  // NOLINT: `.learning_rate = 1e-3`
  schedule(exponential_decay decay) : rate_(std::move(decay)) {}  // NOLINT
  schedule(cosine_decay decay) : rate_(std::move(decay)) {}       // NOLINT

  /// The rate for the optimizer's `step`-th update (counted from 0).
  [[nodiscard]] double operator()(std::int64_t step) const {
    return std::visit(
        [&](const auto& rate) {
          if constexpr (std::is_same_v<std::decay_t<decltype(rate)>, double>) {
            return rate;
          } else {
            return rate(step);
          }
        },
        rate_);
  }

  [[nodiscard]] bool is_constant() const { return std::holds_alternative<double>(rate_); }
  [[nodiscard]] const auto& variant() const { return rate_; }

 private:
  std::variant<double, exponential_decay, cosine_decay> rate_;
};

}  // namespace strata::optim
