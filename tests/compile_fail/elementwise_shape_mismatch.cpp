// Must not compile: (2, 3) and (4,) do not broadcast (3 vs 4 on the last axis).
#include <strata/strata.hpp>

int main() {
  strata::tensor<float, strata::shape<2, 3>> a;
  strata::tensor<float, strata::shape<4>> b;
  auto c = a + b;
  (void)c;
}
