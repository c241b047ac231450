#pragma once
/// \file The optimizer: an update rule's config (sgd, adam, adamw, rmsprop) plus the state it
/// keeps per weight, applied to every trainable weight of a model after a backward pass.
///
///     strata::optimizer optimizer(strata::optim::adam{.learning_rate = 1e-3});
///     for (...) {
///       model.zero_gradients();
///       model.backward(x, [&](const auto& y) { return loss(y, target); });
///       optimizer.step(model);          // clip, decay, update; then count the step
///     }
///
/// Each step runs, as Keras' optimizers do: gradient clipping (by global norm, per-weight norm or
/// value, at most one of them), decoupled weight decay `w -= w · weight_decay · lr`, then the
/// rule's update with the learning rate of the current step. Clipping rewrites the model's
/// gradient buffers in place. State (moments, velocities) is allocated on the first step for
/// each weight, matched to it by name, and reused after: no allocation in steady state.

#include <algorithm>
#include <array>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <Eigen/Core>
#include <fmt/format.h>

#include "strata/core/reflect.hpp"
#include "strata/optimizers/schedules.hpp"
#include "strata/tensor/tensor.hpp"

namespace strata {
namespace optim {

/// Keras' gradient clipping arguments (clipnorm, clipvalue, global_clipnorm); set at most one.
struct clipping {
  STRATA_REFLECT(clipping, (std::optional<double>, norm, std::nullopt), (std::optional<double>, value, std::nullopt),
                 (std::optional<double>, global_norm, std::nullopt));

  void check() const {
    const int set = int(norm.has_value()) + int(value.has_value()) + int(global_norm.has_value());
    if (set > 1)
      throw std::invalid_argument(
          "strata: optimizer clipping: set only one of norm, value and global_norm (as Keras allows one of "
          "clipnorm, clipvalue and global_clipnorm)");
    for (const auto& [field, bound] : {std::pair{"norm", norm}, {"value", value}, {"global_norm", global_norm}})
      if (bound && !(*bound > 0))
        throw std::invalid_argument(fmt::format("strata: optimizer clipping: {} must be positive, found {}", field, *bound));
  }
};

/// An update rule: a config with Keras' name, a learning rate, clipping and weight decay, the
/// number of state slots it keeps per weight and the update of one weight.
template <class Rule>
concept update_rule = requires(const Rule& rule) {
  { Rule::name } -> std::convertible_to<std::string_view>;
  { rule.learning_rate } -> std::convertible_to<const schedule&>;
  { rule.clip } -> std::convertible_to<const clipping&>;
  { rule.slot_count() } -> std::convertible_to<std::size_t>;
};

}  // namespace optim

/// Anything whose trainable weights can be visited as (name, value tensor, gradient tensor).
template <class Model>
concept has_weights = requires(Model& model) {
  model.for_each_weight([](const std::string&, auto&, auto&) {});
};

template <optim::update_rule Rule, scalar T = float>
class optimizer {
 public:
  using scalar_type = T;
  using array = Eigen::Array<T, Eigen::Dynamic, 1>;
  static constexpr std::size_t max_slots = Rule::max_slots;

  explicit optimizer(Rule rule = {}) : config(std::move(rule)) { check_config(); }

  /// The rule's config: may be changed between steps (as Keras' optimizer attributes may).
  Rule config;

  /// How many updates were applied (Keras' `optimizer.iterations`).
  [[nodiscard]] std::int64_t iterations() const { return iterations_; }
  void set_iterations(std::int64_t iterations) { iterations_ = iterations; }
  /// The learning rate the next step uses.
  [[nodiscard]] double learning_rate() const { return config.learning_rate(iterations_); }

  /// One update of every trainable weight of `model` from its gradient.
  template <has_weights Model>
  void step(Model& model) {
    check_config();  // before any weight changes: the config may have been edited since
    const double rate = learning_rate();
    const double global_scale = global_clip_scale(model);
    std::size_t position = 0;
    model.for_each_weight([&](const std::string& name, auto& value, auto& gradient) {
      static_assert(std::same_as<typename std::remove_cvref_t<decltype(value)>::scalar_type, T>,
                    "strata: the optimizer's scalar type must be the model's (optimizer<Rule, double> for double)");
      if (gradient.size() != value.size())
        throw std::invalid_argument(fmt::format("strata: {}: the gradient of '{}' has {} elements, the weight {}; "
                                                "run backward before step",
                                                Rule::name, name, gradient.size(), value.size()));
      auto w = value.flat();
      auto g = gradient.flat();
      clip(g, global_scale);
      if (config.weight_decay && *config.weight_decay != 0) w -= w * T(*config.weight_decay * rate);
      config.update(w, g, state_for(position++, name, value.size()).slots, rate, iterations_);
    });
    ++iterations_;
  }

  /// Calls `visit(name, array&)` for every state slot ("dense/kernel/m", ...), in order; empty
  /// before the first step.
  template <class Visitor>
  void for_each_state(Visitor&& visit) {
    for (auto& state : states_)
      for (std::size_t s = 0; s < config.slot_count(); ++s)
        visit(fmt::format("{}/{}", state.name, Rule::slot_names[s]), state.slots[s]);
  }

  /// The rule's Keras name ("Adam"), as checkpoints record it, and the names of its slots.
  [[nodiscard]] static std::string rule_name() { return std::string(Rule::name); }
  [[nodiscard]] static constexpr const auto& slot_names() { return Rule::slot_names; }

  /// Replaces the state with a saved one: `feed(assign)` calls `assign(slot name, bytes, size)`
  /// for every slot ("dense/kernel/m", the values as raw T).
  template <class Feed>
  void load_state(std::int64_t iterations, Feed&& feed) {
    std::vector<weight_state> loaded;
    feed([&](const std::string& slot_name, const char* bytes, index size) {
      const std::size_t cut = slot_name.rfind('/');
      const std::string weight = slot_name.substr(0, cut), slot = cut == std::string::npos ? "" : slot_name.substr(cut + 1);
      const auto kind = std::find(Rule::slot_names.begin(), Rule::slot_names.end(), slot);
      if (cut == std::string::npos || kind == Rule::slot_names.end())
        throw std::invalid_argument(fmt::format("strata: {}: no state slot named '{}' (slots: {})", Rule::name,
                                                slot_name, fmt::join(Rule::slot_names, ", ")));
      if (loaded.empty() || loaded.back().name != weight) loaded.push_back(weight_state{weight, {}});
      array& values = loaded.back().slots[std::size_t(kind - Rule::slot_names.begin())];
      values.resize(size);
      std::memcpy(values.data(), bytes, std::size_t(size) * sizeof(T));
    });
    states_ = std::move(loaded);
    iterations_ = iterations;
  }

  /// Forgets every slot and the step count (the state of a new optimizer).
  void reset() {
    states_.clear();
    iterations_ = 0;
  }

 private:
  struct weight_state {
    std::string name;
    std::array<array, max_slots> slots;
  };

  void check_config() const {
    config.clip.check();
    if constexpr (requires { config.check(); }) config.check();
  }

  // The state of the weight visited at `position`: found there in steady state, else found by name
  // (the trainable set changed: a layer was frozen) or created, and moved to `position`.
  weight_state& state_for(std::size_t position, const std::string& name, index size) {
    if (position < states_.size() && states_[position].name == name) return checked(states_[position], size);
    auto found = std::find_if(states_.begin(), states_.end(), [&](const weight_state& s) { return s.name == name; });
    if (found == states_.end()) {
      states_.push_back(weight_state{name, {}});
      found = states_.end() - 1;
    }
    std::iter_swap(found, states_.begin() + std::ptrdiff_t(position));
    return checked(states_[position], size);
  }

  weight_state& checked(weight_state& state, index size) {
    for (std::size_t s = 0; s < config.slot_count(); ++s) {
      if (state.slots[s].size() == 0) state.slots[s] = array::Zero(size);  // new, or a slot the config added (amsgrad)
      if (state.slots[s].size() != size)
        throw std::invalid_argument(fmt::format("strata: {}: the state of '{}' has {} elements, the weight has {}",
                                                Rule::name, state.name, state.slots[s].size(), size));
    }
    return state;
  }

  /// The factor global-norm clipping scales every gradient by (1 when it is off or not needed).
  template <class Model>
  double global_clip_scale(Model& model) const {
    if (!config.clip.global_norm) return 1;
    double squared = 0;
    model.for_each_weight([&](const std::string&, auto&, auto& gradient) {
      squared += double(gradient.flat().matrix().squaredNorm());
    });
    const double norm = std::sqrt(squared);
    return norm > *config.clip.global_norm ? *config.clip.global_norm / norm : 1.0;
  }

  template <class Gradient>
  void clip(Gradient& g, double global_scale) const {
    if (config.clip.global_norm) {
      if (global_scale != 1) g *= T(global_scale);
    } else if (config.clip.norm) {
      const double norm = double(g.matrix().norm());
      if (norm > *config.clip.norm) g *= T(*config.clip.norm / norm);
    } else if (config.clip.value) {
      g = g.max(T(-*config.clip.value)).min(T(*config.clip.value));
    }
  }

  std::vector<weight_state> states_;
  std::int64_t iterations_ = 0;
};

template <optim::update_rule Rule>
optimizer(Rule) -> optimizer<Rule, float>;

}  // namespace strata
