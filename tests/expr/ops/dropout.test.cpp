// dropout: inverted dropout, the identity at inference; its derivative is the mask.

#include "support/strata_test.hpp"

namespace st = strata;

TEST_CASE("dropout: inference is the identity") {
  const auto x = st::testing::uniform<3, 4>({3, 4}, 1);
  const st::tensor<double, st::shape<3, 4>> y = st::dropout(x, 0.5, false, 7);
  CHECK(st::allclose(y, x, 0, 0));
}

TEST_CASE("dropout: training keeps about 1 - rate of the values, scaled by 1 / (1 - rate)") {
  const auto x = st::tensor<double, st::shape<st::dyn, st::dyn>>::full({200, 100}, 2.0);
  const st::tensor<double, st::shape<st::dyn, st::dyn>> y = st::dropout(x, 0.25, true, 11);
  st::index kept = 0;
  for (double v : y) {
    if (v != 0) {
      CHECK(v == Approx(2.0 / 0.75));
      ++kept;
    }
  }
  CHECK(double(kept) / double(y.size()) == Approx(0.75).margin(0.01));

  const st::tensor<double, st::shape<st::dyn, st::dyn>> same = st::dropout(x, 0.25, true, 11);
  const st::tensor<double, st::shape<st::dyn, st::dyn>> other = st::dropout(x, 0.25, true, 12);
  CHECK(st::allclose(same, y, 0, 0));
  CHECK_FALSE(st::allclose(other, y));
}

TEST_CASE("dropout: the gradient is the mask, in training and at inference") {
  auto x = st::testing::uniform<st::dyn, 5>({4, 5}, 2);
  STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::dropout(st::tanh(x), 0.4, true, 3)), st::named("x", x)));
  STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::dropout(x, 0.4, false, 3)), st::named("x", x)));
  // Dropped entries get no gradient.
  const st::tensor<double, st::shape<st::dyn, 5>> y = st::dropout(x, 0.4, true, 3);
  auto [gradient] = st::grad(st::sum(st::dropout(x, 0.4, true, 3)), x);
  for (st::index i = 0; i < y.size(); ++i)
    CHECK(gradient.data()[i] == Approx(y.data()[i] == 0 ? 0.0 : 1 / 0.6));
}

TEST_CASE("dropout: a rate outside [0, 1) is an error") {
  const auto x = st::testing::uniform<2, 2>({2, 2}, 1);
  CHECK_THROWS_WITH(st::dropout(x, 1.0, true, 1), Catch::Contains("[0, 1)") && Catch::Contains("1"));
  CHECK_THROWS_AS(st::dropout(x, -0.1, true, 1), std::invalid_argument);
  const st::tensor<double, st::shape<2, 2>> unchanged = st::dropout(x, 0.0, true, 1);
  CHECK(st::allclose(unchanged, x, 0, 0));
}
