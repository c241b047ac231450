// Must not compile: axis -3 of a rank-2 tensor (valid axes are -2 .. 1).
#include <strata/strata.hpp>

int main() {
  strata::tensor<float, strata::shape<2, 3>> a;
  auto s = strata::mean(a, strata::axis<-3>, strata::keepdims);
  (void)s;
}
