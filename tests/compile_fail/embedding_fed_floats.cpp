// Embedding takes integer indices; a float input is a compile error naming the layer's position.
#include <strata/strata.hpp>

int main() {
  strata::Sequential model(strata::Input<strata::dyn, 5>{}, strata::Embedding<10, 4>{});
}
