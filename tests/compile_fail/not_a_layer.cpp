// Only layers go into a model: a struct without STRATA_CONFIG and call is named in the error.
#include <strata/strata.hpp>

struct NotALayer {};

int main() {
  strata::Sequential model(strata::Input<strata::dyn, 3>{}, strata::Dense<2>{}, NotALayer{});
}
