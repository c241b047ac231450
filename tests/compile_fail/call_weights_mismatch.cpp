// A layer whose call does not take the weights its build returns (two declared, one taken).
#include <strata/strata.hpp>

struct TwoWeights {
  STRATA_CONFIG(TwoWeights);
  template <class Builder>
  auto build(Builder& b) const {
    return strata::weights(b.weight("scale", strata::dims(b.last()), strata::init::ones),
                           b.weight("shift", strata::dims(b.last()), strata::init::zeros));
  }
  auto call(auto x, auto scale) const { return x * scale; }
};

int main() {
  strata::Sequential model(strata::Input<strata::dyn, 3>{}, TwoWeights{});
}
