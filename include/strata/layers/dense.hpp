#pragma once
/// \file Dense: `activation(x · kernel + bias)`, Keras' densely connected layer.
///
///     strata::Dense<64>{.activation = "relu"}        // 64 units, known at compile time
///     strata::Dense<>{.units = 64}                   // units known at run time (from a config file)

#include <stdexcept>

#include <fmt/format.h>

#include "strata/expr/ops/activation.hpp"
#include "strata/expr/ops/elementwise_binary.hpp"
#include "strata/expr/ops/matmul.hpp"
#include "strata/layers/layer.hpp"

namespace strata {

template <index Units = dyn>
struct Dense {
  STRATA_CONFIG(Dense,
                (index, units, Units),
                (::strata::activation, activation, {}),
                (bool, use_bias, true),
                (initializer, kernel_initializer, init::glorot_uniform),
                (initializer, bias_initializer, init::zeros));

  template <class Builder>
  auto build(Builder& b) const {
    if (Units != dyn && units != Units)
      throw std::invalid_argument(fmt::format(
          "strata: Dense<{}> cannot have units = {}; use Dense<{}> or Dense<>{{.units = {}}}", Units, units, units, units));
    return weights(b.weight("kernel", dims(b.last(), extent<Units>(units)), kernel_initializer),
                   b.weight("bias", dims(extent<Units>(units)), bias_initializer).only_if(use_bias));
  }

  auto call(auto x, auto kernel, auto bias) const {
    return activate(matmul(x, kernel) + bias, activation);  // an absent bias is zero
  }
};

}  // namespace strata
