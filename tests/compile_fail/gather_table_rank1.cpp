// gather reads rows of a (V, D) table: a rank-1 table has none.
#include <strata/strata.hpp>

int main() {
  strata::tensor<float, strata::shape<5>> table;
  strata::tensor<std::int32_t, strata::shape<2>> indices{1, 3};
  auto rows = strata::gather(table, indices);
  (void)rows;
}
