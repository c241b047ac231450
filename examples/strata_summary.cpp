// strata-summary: prints the Keras-style summary of any saved model (TF.js layers-model format),
// built at run time (load_dynamic): its layers, their output shapes and parameter counts.
//
//     strata-summary MODEL_DIR
//
// Besides the built-in layers it knows the seed's three custom layers (examples/layers/).

#include <cstdio>
#include <exception>

#include <strata/strata.hpp>

#include "layers/clipping_weighted_sum.hpp"
#include "layers/custom_attention.hpp"
#include "layers/scaled_exponential.hpp"

STRATA_REGISTER_LAYER(ScaledExponential);
STRATA_REGISTER_LAYER(ClippingWeightedSum);
STRATA_REGISTER_LAYER(CustomAttention<>);

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: strata-summary MODEL_DIR\n");
    return 2;
  }
  try {
    const strata::dynamic_model model = strata::load_dynamic(argv[1]);
    std::printf("Input shape: %s\n", strata::format_dims(model.input_dims()).c_str());
    model.summary();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "strata-summary: %s\n", error.what());
    return 1;
  }
  return 0;
}
