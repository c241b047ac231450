#pragma once
// The seed's first layer: scale_factor · exp(inputs ⊙ exponent), one learned exponent per feature.
// [layer]
#include <strata/strata.hpp>

struct ScaledExponential {
  // __init__ and get_config: the config fields, declared once.
  STRATA_CONFIG(ScaledExponential, (float, scale_factor, 1.0f));

  // build: one weight per input feature; its shape follows the input's last extent.
  template <class Builder>
  auto build(Builder& b) const {
    return b.weight("exponent", strata::dims(b.last()), strata::init::ones);
  }

  // call: an expression; its gradient comes for free.
  auto call(auto inputs, auto exponent) const { return scale_factor * strata::exp(inputs * exponent); }
};
// [layer]
