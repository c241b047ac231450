#pragma once
/// \file Adam and AdamW (Kingma & Ba; Loshchilov & Hutter), with Keras' defaults: learning rate
/// 1e-3, β₁ 0.9, β₂ 0.999, ε 1e-7, optional AMSGrad.
///
///     strata::optimizer optimizer(strata::optim::adam{.learning_rate = 1e-3});
///     strata::optimizer decoupled(strata::optim::adamw{.weight_decay = 0.004});
///
/// Step t (from 1): m ← m + (g - m)(1 - β₁), v ← v + (g² - v)(1 - β₂),
/// w ← w - α·m / (√v + ε) with α = lr·√(1 - β₂ᵗ) / (1 - β₁ᵗ): Keras' form, where ε is added
/// to √v before bias correction (PyTorch adds it after, a difference of order ε).
/// With AMSGrad, v̂ ← max(v̂, v) replaces v in the update. AdamW is Adam whose weight decay
/// defaults to 0.004, applied as w ← w - w·weight_decay·lr before the update.

#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>

#include "strata/optimizers/optimizer.hpp"

namespace strata::optim {
namespace detail {

template <class Rule, class Weight, class Gradient, class Slots>
void adam_update(const Rule& rule, Weight& w, const Gradient& g, Slots& slots, double rate, std::int64_t iteration) {
  using T = typename Weight::Scalar;
  const double t = double(iteration + 1);
  const double alpha = rate * std::sqrt(1 - std::pow(rule.beta_2, t)) / (1 - std::pow(rule.beta_1, t));
  auto& m = slots[0];
  auto& v = slots[1];
  m += (g - m) * T(1 - rule.beta_1);
  v += (g.square() - v) * T(1 - rule.beta_2);
  if (rule.amsgrad) {
    auto& v_hat = slots[2];
    v_hat = v_hat.max(v);
    w -= T(alpha) * m / (v_hat.sqrt() + T(rule.epsilon));
  } else {
    w -= T(alpha) * m / (v.sqrt() + T(rule.epsilon));
  }
}

}  // namespace detail

struct adam {
  static constexpr std::string_view name = "Adam";
  static constexpr std::size_t max_slots = 3;
  static constexpr std::array<std::string_view, max_slots> slot_names{"m", "v", "v_hat"};
  STRATA_REFLECT(adam, (schedule, learning_rate, 0.001), (double, beta_1, 0.9), (double, beta_2, 0.999),
                 (double, epsilon, 1e-7), (bool, amsgrad, false), (std::optional<double>, weight_decay, std::nullopt),
                 (clipping, clip, {}));

  [[nodiscard]] std::size_t slot_count() const { return amsgrad ? 3 : 2; }

  template <class Weight, class Gradient, class Slots>
  void update(Weight& w, const Gradient& g, Slots& slots, double rate, std::int64_t iteration) const {
    detail::adam_update(*this, w, g, slots, rate, iteration);
  }
};

struct adamw {
  static constexpr std::string_view name = "AdamW";
  static constexpr std::size_t max_slots = 3;
  static constexpr std::array<std::string_view, max_slots> slot_names{"m", "v", "v_hat"};
  STRATA_REFLECT(adamw, (schedule, learning_rate, 0.001), (std::optional<double>, weight_decay, 0.004),
                 (double, beta_1, 0.9), (double, beta_2, 0.999), (double, epsilon, 1e-7), (bool, amsgrad, false),
                 (clipping, clip, {}));

  [[nodiscard]] std::size_t slot_count() const { return amsgrad ? 3 : 2; }

  template <class Weight, class Gradient, class Slots>
  void update(Weight& w, const Gradient& g, Slots& slots, double rate, std::int64_t iteration) const {
    detail::adam_update(*this, w, g, slots, rate, iteration);
  }
};

}  // namespace strata::optim
