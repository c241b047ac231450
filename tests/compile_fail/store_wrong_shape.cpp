// Must not compile: exp of a (2, 3) tensor stored into a (3, 2) tensor.
#include <strata/strata.hpp>

int main() {
  strata::tensor<float, strata::shape<2, 3>> a;
  strata::tensor<float, strata::shape<3, 2>> b = strata::exp(a);
  (void)b;
}
