// Must not compile: Concatenate along the last axis of (None, 3, 8) and (None, 5, 8): axis 1
// differs; the error names both inputs' layers and shapes.
#include <strata/layers/merge.hpp>
#include <strata/models/functional.hpp>

namespace st = strata;

int main() {
  auto a = st::Input<st::dyn, 3, 8>{};
  auto b = st::Input<st::dyn, 5, 8>{};
  auto joined = st::Concatenate{}(a, b);
  (void)joined;
}
