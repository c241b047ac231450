// gather's indices must be integers: float indices are a compile error.
#include <strata/strata.hpp>

int main() {
  strata::tensor<float, strata::shape<5, 3>> table;
  strata::tensor<float, strata::shape<2>> indices{1, 3};
  auto rows = strata::gather(table, indices);
  (void)rows;
}
