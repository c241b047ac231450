#pragma once
/// \file RMSprop (Hinton), with Keras' defaults: learning rate 1e-3, ρ 0.9, no momentum,
/// ε 1e-7, not centred.
///
///     strata::optimizer optimizer(strata::optim::rmsprop{.learning_rate = 1e-3, .momentum = 0.9});
///
/// s ← ρ·s + (1 - ρ)·g²; centred, also ḡ ← ρ·ḡ + (1 - ρ)·g and s - ḡ² replaces s below.
/// The increment is lr·g / √(s + ε) (ε inside the root, as Keras); with momentum μ,
/// m ← μ·m + increment and w ← w - m, else w ← w - increment.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "strata/optimizers/optimizer.hpp"

namespace strata::optim {

struct rmsprop {
  static constexpr std::string_view name = "RMSprop";
  static constexpr std::size_t max_slots = 3;
  static constexpr std::array<std::string_view, max_slots> slot_names{"velocity", "momentum", "average_gradient"};
  STRATA_REFLECT(rmsprop, (schedule, learning_rate, 0.001), (double, rho, 0.9), (double, momentum, 0.0),
                 (double, epsilon, 1e-7), (bool, centered, false), (std::optional<double>, weight_decay, std::nullopt),
                 (clipping, clip, {}));

  // Slots are positional, so the momentum slot exists whenever the average-gradient one does.
  [[nodiscard]] std::size_t slot_count() const { return centered ? 3 : momentum != 0 ? 2 : 1; }

  template <class Weight, class Gradient, class Slots>
  void update(Weight& w, const Gradient& g, Slots& slots, double rate, std::int64_t) const {
    using T = typename Weight::Scalar;
    auto& velocity = slots[0];
    velocity = T(rho) * velocity + T(1 - rho) * g.square();
    auto increment = [&](const auto& denominator) { return T(rate) * g * (denominator + T(epsilon)).rsqrt(); };
    auto apply = [&](const auto& step) {
      if (momentum != 0) {
        slots[1] = T(momentum) * slots[1] + step;
        w -= slots[1];
      } else {
        w -= step;
      }
    };
    if (centered) {
      auto& average = slots[2];
      average = T(rho) * average + T(1 - rho) * g;
      apply(increment(velocity - average.square()));
    } else {
      apply(increment(velocity));
    }
  }
};

}  // namespace strata::optim
