// BatchNormalization keeps one statistic per feature: it needs a static feature extent.
#include <strata/strata.hpp>

int main() {
  strata::Sequential model(strata::Input<strata::dyn, strata::dyn>{{strata::dyn, 4}}, strata::BatchNormalization{});
}
