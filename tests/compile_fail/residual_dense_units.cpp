// A residual block adds its input to its output: Dense<32> inside a block fed 16 features cannot
// be added back.
#include <strata/strata.hpp>

int main() {
  strata::Sequential model(strata::Input<strata::dyn, 16>{}, strata::residual(strata::Dense<32>{}));
}
