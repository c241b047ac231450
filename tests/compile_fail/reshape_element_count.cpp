// Must not compile: reshape of (2, 3) (6 elements) to (4, 2) (8 elements).
#include <strata/strata.hpp>

int main() {
  strata::tensor<float, strata::shape<2, 3>> a;
  auto r = strata::reshape<4, 2>(a);
  (void)r;
}
