// A regression loss needs targets of the predictions' shape: (None, 3) against (None, 2).
#include <strata/strata.hpp>

int main() {
  strata::tensor<float, strata::shape<strata::dyn, 3>> prediction({4, 3});
  strata::tensor<float, strata::shape<strata::dyn, 2>> target({4, 2});
  auto loss = strata::loss::mean_squared_error{}(prediction, target);
  (void)loss;
}
