// cond: one of two branches, chosen when the expression is built; only that branch is evaluated
// and differentiated. Values, shapes, gradients and the run-time shape check.

#include <cstdint>
#include <stdexcept>
#include <type_traits>

#include "support/strata_test.hpp"

namespace st = strata;
using st::dyn;
using st::shape;

namespace {

template <class E>
using shape_of = typename std::remove_cvref_t<E>::shape_type;

}  // namespace

TEST_CASE("cond: the value of the chosen branch", "[cond]") {
  const st::tensor<double, shape<2, 3>> x{{1, 2, 3}, {4, 5, 6}};
  const st::tensor<double, shape<2, 3>> y{{-1, -2, -3}, {-4, -5, -6}};
  REQUIRE(st::allclose(st::eval(st::cond(true, x, y)), x, 0, 0));
  REQUIRE(st::allclose(st::eval(st::cond(false, x, y)), y, 0, 0));
  // lazy branches, and cond feeding further ops
  const auto a = st::eval(st::cond(true, x * 2.0 + 1.0, st::exp(y)) - 1.0);
  REQUIRE(st::allclose(a, st::tensor<double, shape<2, 3>>{{2, 4, 6}, {8, 10, 12}}, 0, 0));
  const auto b = st::eval(st::cond(false, x * 2.0, st::square(y)));
  REQUIRE(st::allclose(b, st::tensor<double, shape<2, 3>>{{1, 4, 9}, {16, 25, 36}}, 0, 0));
  // a materialised branch is read in place
  const auto e = st::cond(true, x, y);
  e.forward();
  REQUIRE(e.data() == x.data());
  REQUIRE(e.first());
  // rank 0, float
  const auto one = st::tensor<float, shape<>>::full({}, 1), two = st::tensor<float, shape<>>::full({}, 2);
  REQUIRE(st::eval(st::cond(false, one, two)).item() == 2.0f);
}

TEST_CASE("cond: the result takes the static extent where either branch has one", "[cond]") {
  using left = st::tensor<double, shape<dyn, 3>>;
  using right = st::tensor<double, shape<2, dyn>>;
  const left l{{1, 2, 3}, {4, 5, 6}};
  const right r{{7, 8, 9}, {10, 11, 12}};
  const auto out = st::eval(st::cond(false, l, r));
  static_assert(std::is_same_v<shape_of<decltype(out)>, shape<2, 3>>);
  REQUIRE(st::allclose(out, st::tensor<double, shape<2, 3>>{{7, 8, 9}, {10, 11, 12}}, 0, 0));
  static_assert(std::is_same_v<shape_of<decltype(st::cond(true, l, l))>, shape<dyn, 3>>);
  static_assert(std::is_same_v<shape_of<decltype(st::cond(true, st::tensor<double, shape<dyn>>(),
                                                          st::tensor<double, shape<dyn>>()))>,
                               shape<dyn>>);
}

TEST_CASE("cond: dyn extents that differ throw shape_error naming both shapes", "[cond][errors]") {
  const st::tensor<double, shape<dyn, dyn>> a(st::extents<2>{2, 3}), b(st::extents<2>{2, 4});
  REQUIRE_THROWS_AS(st::cond(true, a, b), st::shape_error);
  // checked when built, whichever branch is chosen
  REQUIRE_THROWS_WITH(st::cond(false, a, b), "strata: cond: shapes (2, 3) and (2, 4) do not fit");
  const st::tensor<double, shape<dyn, 3>> c(st::extents<2>{5, 3});
  REQUIRE_THROWS_WITH(st::cond(true, st::exp(c), a), Catch::Contains("(5, 3)") && Catch::Contains("(2, 3)"));
  REQUIRE_NOTHROW(st::cond(true, c, st::tensor<double, shape<5, dyn>>(st::extents<2>{5, 3})));
}

TEST_CASE("cond: only the chosen branch is evaluated", "[cond]") {
  // The other branch would throw: an out-of-range gather, a tensor resized after building.
  const st::tensor<double, shape<2, 2>> x{{1, 2}, {3, 4}};
  const st::tensor<double, shape<3, 2>> table{{1, 1}, {2, 2}, {3, 3}};
  const st::tensor<std::int32_t, shape<2>> bad{0, 7};
  REQUIRE(st::allclose(st::eval(st::cond(true, x, st::gather(table, bad))), x, 0, 0));
  REQUIRE_THROWS_AS(st::eval(st::cond(false, x, st::gather(table, bad))), std::out_of_range);

  st::tensor<double, shape<dyn, 2>> resized{{5, 6}, {7, 8}};
  const auto e = st::cond(false, resized, x);
  resized.resize({3, 2});
  REQUIRE(st::allclose(st::eval(e), x, 0, 0));
}

TEST_CASE("cond: the adjoint goes to the chosen branch only", "[cond][gradcheck]") {
  auto x = st::testing::uniform<2, 3>({2, 3}, 1);
  auto w = st::testing::uniform<2, 3>({2, 3}, 2);
  const auto zeros = st::tensor<double, shape<2, 3>>::zeros();
  const auto ones = st::tensor<double, shape<2, 3>>::ones();
  {
    const auto [dx, dw] = st::grad(st::sum(st::cond(true, x * w, w)), x, w);  // d(x·w) = (w, x)
    REQUIRE(st::allclose(dx, w, 0, 0));
    REQUIRE(st::allclose(dw, x, 0, 0));
  }
  {
    const auto [dx, dw] = st::grad(st::sum(st::cond(false, x * w, w)), x, w);  // d w = (0, 1)
    REQUIRE(st::allclose(dx, zeros, 0, 0));
    REQUIRE(st::allclose(dw, ones, 0, 0));
  }
  // depends_on asks the chosen branch only
  auto gx = zeros;
  const st::gradient_sink<double>::slot slot{x.data(), gx.data()};
  const st::gradient_sink<double> sink({&slot, 1});
  REQUIRE(st::cond(true, st::exp(x), w).depends_on(sink));
  REQUIRE_FALSE(st::cond(false, st::exp(x), w).depends_on(sink));
}

TEST_CASE("cond: gradient checks, static and dyn shapes", "[cond][gradcheck]") {
  SECTION("static") {
    auto x = st::testing::uniform<2, 3, 4>({2, 3, 4}, 3);
    auto w = st::testing::uniform<4>({4}, 4);
    for (bool first : {true, false}) {
      INFO("first " << first);
      STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::cond(first, st::tanh(x * w), st::softmax(x) * w)),
                                             st::named("x", x), st::named("w", w)));
    }
  }
  SECTION("dyn") {
    auto x = st::testing::uniform<dyn, 5>({3, 5}, 5);
    auto y = st::testing::uniform<3, dyn>({3, 5}, 6);
    for (bool first : {true, false}) {
      INFO("first " << first);
      STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::cond(first, st::sigmoid(x) * y, y)), st::named("x", x),
                                             st::named("y", y)));
      STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::mean(st::square(st::cond(first, x, st::exp(y)) - x)),
                                             st::named("x", x), st::named("y", y)));
    }
  }
}
