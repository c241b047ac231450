#pragma once
// The seed's second layer: clip the inputs, apply a learned linear map, and sum its outputs.
// [layer]
#include <strata/strata.hpp>

struct ClippingWeightedSum {
  STRATA_CONFIG(ClippingWeightedSum,
                (double, clip_min, -1.0),
                (double, clip_max, 1.0),
                (strata::index, num_filters, 32));

  // num_filters is a run-time config value, so weight_matrix is (features, None) in the type
  // and (features, num_filters) at run time; the output is (batch, 1) either way.
  template <class Builder>
  auto build(Builder& b) const {
    return strata::weights(
        b.weight("weight_matrix", strata::dims(b.last(), num_filters), strata::init::glorot_uniform),
        b.weight("bias", strata::dims(num_filters), strata::init::zeros));
  }

  auto call(auto inputs, auto weight_matrix, auto bias) const {
    auto clipped = strata::clip(inputs, clip_min, clip_max);
    auto linear_transform = strata::matmul(clipped, weight_matrix) + bias;
    return strata::sum(linear_transform, strata::axis<-1>, strata::keepdims);
  }
};
// [layer]
