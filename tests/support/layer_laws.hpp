#pragma once
// The laws every layer must keep, checked by one call per layer and instantiation:
// - its static output shape agrees with the run-time output extents;
// - get_config → from_config → get_config gives the same config;
// - its gradients (every trainable weight and the input) match finite differences in double.

#include "support/strata_test.hpp"

namespace strata::testing {

/// Checks the laws above for `layer` at input `x` (double, or integer indices). The static
/// shape `S` of `x` decides which extents are static and which are checked at run time.
template <class Layer, class Element, shape_type S>
void check_layer_laws(const Layer& layer, const tensor<Element, S>& x, const gradcheck_options& options = {}) {
  Sequential model(input<Element, S, double>{}, layer);
  using model_type = decltype(model);

  const auto& y = model.forward(x);
  INFO("output extents " << format_dims(y.dims()) << ", static shape " << format_dims(model_type::output_shape::dims));
  for (std::size_t i = 0; i < model_type::output_shape::rank; ++i)
    REQUIRE(extents_agree(model_type::output_shape::dims[i], y.dims()[i]));

  const nlohmann::json config = layer.get_config();
  REQUIRE(Layer::from_config(config).get_config() == config);

  STRATA_REQUIRE_GRADIENTS(gradcheck_model(model, x, options));
}

}  // namespace strata::testing
