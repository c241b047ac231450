// cond's branches must have one shape: (2, 3) and (3, 2) do not.
#include <strata/strata.hpp>

int main() {
  strata::tensor<float, strata::shape<2, 3>> a;
  strata::tensor<float, strata::shape<3, 2>> b;
  auto either = strata::cond(true, a, b);
  (void)either;
}
