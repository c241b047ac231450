#pragma once
/// \file Stochastic gradient descent with optional momentum and Nesterov momentum (Keras' SGD).
///
///     strata::optimizer optimizer(strata::optim::sgd{.learning_rate = 0.1, .momentum = 0.9, .nesterov = true});
///
/// Without momentum: w ← w - lr·g. With momentum μ, a velocity v (zero at first):
/// v ← μ·v - lr·g, then w ← w + v, or with Nesterov w ← w + μ·v - lr·g.

#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string_view>

#include <fmt/format.h>

#include "strata/optimizers/optimizer.hpp"

namespace strata::optim {

struct sgd {
  static constexpr std::string_view name = "SGD";
  static constexpr std::size_t max_slots = 1;
  static constexpr std::array<std::string_view, max_slots> slot_names{"momentum"};
  STRATA_REFLECT(sgd, (schedule, learning_rate, 0.01), (double, momentum, 0.0), (bool, nesterov, false),
                 (std::optional<double>, weight_decay, std::nullopt), (clipping, clip, {}));

  [[nodiscard]] std::size_t slot_count() const { return momentum != 0 ? 1 : 0; }

  void check() const {
    if (!(momentum >= 0 && momentum <= 1))
      throw std::invalid_argument(fmt::format("strata: SGD: momentum must be in [0, 1], found {}", momentum));
  }

  template <class Weight, class Gradient, class Slots>
  void update(Weight& w, const Gradient& g, Slots& slots, double rate, std::int64_t) const {
    using T = typename Weight::Scalar;
    if (momentum == 0) {
      w -= T(rate) * g;
      return;
    }
    auto& velocity = slots[0];
    velocity = T(momentum) * velocity - T(rate) * g;
    if (nesterov) {
      w += T(momentum) * velocity - T(rate) * g;
    } else {
      w += velocity;
    }
  }
};

}  // namespace strata::optim
