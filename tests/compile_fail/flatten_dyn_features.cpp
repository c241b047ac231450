// Flatten needs static extents after the batch axis: (None, None, 3) has a dyn one.
#include <strata/strata.hpp>

int main() {
  strata::Sequential model(strata::Input<strata::dyn, strata::dyn, 3>{}, strata::Flatten{});
}
