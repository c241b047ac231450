// Reshape to (4, 2) after 6 features: 6 elements per example cannot become 8.
#include <strata/strata.hpp>

int main() {
  strata::Sequential model(strata::Input<strata::dyn, 6>{}, strata::Reshape<4, 2>{});
}
