// Must not compile: gradients are of a scalar expression; exp(w) has shape (2, 3).
#include <strata/strata.hpp>

int main() {
  strata::tensor<double, strata::shape<2, 3>> w;
  auto [value, grads] = strata::value_and_grad(strata::exp(w), w);
  (void)value;
  (void)grads;
}
