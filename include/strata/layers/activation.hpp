#pragma once
/// \file Activation: applies a Keras activation, chosen by name.
///
///     strata::Activation{"relu"}

#include "strata/expr/ops/activation.hpp"
#include "strata/layers/layer.hpp"

namespace strata {

struct Activation {
  STRATA_CONFIG(Activation, (::strata::activation, activation, {}));

  auto call(auto x) const { return activate(x, activation); }
};

}  // namespace strata
