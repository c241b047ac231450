// Must not compile: Add of a (None, 16) and a (None, 4) output; the error names both layers and
// both shapes.
#include <strata/layers/dense.hpp>
#include <strata/layers/merge.hpp>
#include <strata/models/functional.hpp>

namespace st = strata;

int main() {
  auto x = st::Input<st::dyn, 8>{};
  auto sum = st::Add{}(st::Dense<16>{}(x), st::Dense<4>{}(x));
  (void)sum;
}
