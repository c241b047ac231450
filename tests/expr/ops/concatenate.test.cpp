// concatenate along the last axis, a middle axis and the first, static and dyn extents.

#include "support/strata_test.hpp"

namespace st = strata;
using st::dyn;
using idx = st::index;

TEST_CASE("concatenate joins its operands along an axis", "[concatenate]") {
  const auto a = st::testing::uniform<2, 3, 2>({2, 3, 2}, 1);
  const auto b = st::testing::uniform<2, 1, 2>({2, 1, 2}, 2);
  const auto c = st::testing::uniform<2, 3, 4>({2, 3, 4}, 3);

  const auto middle = st::eval(st::concatenate(st::axis<1>, a, b));
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(middle)>::shape_type, st::shape<2, 4, 2>>);
  for (idx i = 0; i < 2; ++i)
    for (idx k = 0; k < 2; ++k) {
      for (idx j = 0; j < 3; ++j) CHECK(middle(i, j, k) == a(i, j, k));
      CHECK(middle(i, 3, k) == b(i, 0, k));
    }

  const auto last = st::eval(st::concatenate(st::axis<-1>, a, c, a));
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(last)>::shape_type, st::shape<2, 3, 8>>);
  for (idx i = 0; i < 2; ++i)
    for (idx j = 0; j < 3; ++j) {
      for (idx k = 0; k < 2; ++k) CHECK(last(i, j, k) == a(i, j, k));
      for (idx k = 0; k < 4; ++k) CHECK(last(i, j, 2 + k) == c(i, j, k));
      for (idx k = 0; k < 2; ++k) CHECK(last(i, j, 6 + k) == a(i, j, k));
    }

  const auto first = st::eval(st::concatenate(st::axis<0>, a, a * 2.0));
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(first)>::shape_type, st::shape<4, 3, 2>>);
  CHECK(first(3, 2, 1) == 2 * a(1, 2, 1));
}

TEST_CASE("concatenate: a dyn extent is summed at run time and checked", "[concatenate]") {
  st::tensor<double, st::shape<dyn, dyn>> a({2, 3}), b({2, 5}), c({3, 5});
  const auto joined = st::eval(st::concatenate(st::axis<1>, a, b));
  CHECK(joined.dims() == st::extents<2>{2, 8});
  REQUIRE_THROWS_AS(st::concatenate(st::axis<1>, a, c), st::shape_error);
  REQUIRE_THROWS_WITH(st::concatenate(st::axis<1>, a, c),
                      Catch::Contains("every extent but the axis's must agree; found shapes (2, 3), (3, 5)"));
}

TEST_CASE("concatenate passes gradient checks", "[concatenate][gradcheck]") {
  auto a = st::testing::uniform<2, 3>({2, 3}, 4);
  auto b = st::testing::uniform<2, 2>({2, 2}, 5);
  auto c = st::testing::uniform<1, 3>({1, 3}, 6);
  STRATA_REQUIRE_GRADIENTS(
      st::gradcheck(st::project(st::concatenate(st::axis<1>, st::exp(a), b * b)), st::named("a", a), st::named("b", b)));
  STRATA_REQUIRE_GRADIENTS(
      st::gradcheck(st::project(st::concatenate(st::axis<0>, a, c, a)), st::named("a", a), st::named("c", c)));
}
