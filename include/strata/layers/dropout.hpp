#pragma once
/// \file Dropout: inverted dropout in training, the identity at inference.
///
///     strata::Dropout{.rate = 0.2}

#include <cstdint>
#include <optional>

#include "strata/expr/ops/dropout.hpp"
#include "strata/layers/layer.hpp"

namespace strata {

struct Dropout {
  STRATA_CONFIG(Dropout, (double, rate, 0.5), (std::optional<std::uint64_t>, seed, std::nullopt));

  auto call(auto x, const call_context& context) const {
    // A fixed seed gives the same masks on every run and in every model (whatever its seed and
    // this layer's position); each step still draws a new one.
    const std::uint64_t step_seed = seed ? *seed ^ (context.step * 0x9e3779b97f4a7c15ULL) : context.seed;
    return dropout(x, rate, context.training, step_seed);
  }
};

}  // namespace strata
