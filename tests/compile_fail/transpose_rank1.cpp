// Must not compile: transpose swaps the last two axes; (5,) has only one.
#include <strata/strata.hpp>

int main() {
  strata::tensor<float, strata::shape<5>> a;
  auto t = strata::transpose(a);
  (void)t;
}
