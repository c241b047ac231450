// Must not compile: matmul of (2, 3) by (4, 5): inner extents 3 and 4 differ.
#include <strata/strata.hpp>

int main() {
  strata::tensor<float, strata::shape<2, 3>> a;
  strata::tensor<float, strata::shape<4, 5>> b;
  auto c = strata::matmul(a, b);
  (void)c;
}
