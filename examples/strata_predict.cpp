// strata-predict: runs any saved model (TF.js layers-model format) on an input and writes the
// output, through strata's run-time model (load_dynamic), so no C++ type for the model is needed.
//
//     strata-predict MODEL_DIR INPUT.json OUTPUT.json
//
// INPUT.json and OUTPUT.json are {"shape": [2, 8], "data": [flat row-major numbers]}. Besides
// the built-in layers it knows the seed's three custom layers (examples/layers/). Errors go to
// standard error with exit status 1; wrong arguments give the usage and exit status 2.

#include <cstdio>
#include <exception>

#include <strata/strata.hpp>

#include "layers/clipping_weighted_sum.hpp"
#include "layers/custom_attention.hpp"
#include "layers/scaled_exponential.hpp"

// [register]
STRATA_REGISTER_LAYER(ScaledExponential);
STRATA_REGISTER_LAYER(ClippingWeightedSum);
STRATA_REGISTER_LAYER(CustomAttention<>);  // the dyn form: its attention_size comes from the config
// [register]

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: strata-predict MODEL_DIR INPUT.json OUTPUT.json\n");
    return 2;
  }
  try {
    strata::dynamic_model model = strata::load_dynamic(argv[1]);
    const strata::dynamic_tensor input = strata::read_tensor_json(argv[2]);
    strata::write_tensor_json(argv[3], model.predict(input));
  } catch (const std::exception& error) {
    std::fprintf(stderr, "strata-predict: %s\n", error.what());
    return 1;
  }
  return 0;
}
