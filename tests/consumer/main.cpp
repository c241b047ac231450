#include <strata/strata.hpp>

int main() {
  strata::tensor<float, strata::shape<2>> t{1.f, 2.f};
  fmt::print("{}\n", t);
}
