// reshape: the same row-major elements under new extents, one dyn target extent inferred.

#include <cmath>
#include <type_traits>
#include <vector>

#include "support/strata_test.hpp"

namespace st = strata;
using st::dyn;
using idx = st::index;

namespace {

template <class Tensor>
void require_values(const Tensor& actual, const std::vector<double>& expected) {
  REQUIRE(actual.size() == idx(expected.size()));
  for (idx i = 0; i < actual.size(); ++i) {
    INFO("flat index " << i);
    REQUIRE(actual.data()[i] == Approx(expected[std::size_t(i)]).margin(1e-12));
  }
}

template <class Tensor>
std::vector<double> flat(const Tensor& t) {
  return std::vector<double>(t.begin(), t.end());
}

template <class Expression>
using shape_of = typename std::remove_cvref_t<Expression>::shape_type;

}  // namespace

TEST_CASE("reshape to a static target keeps the row-major elements", "[reshape]") {
  st::tensor<double, st::shape<2, 3>> a{{1, 2, 3}, {4, 5, 6}};
  const auto r = st::eval(st::reshape<3, 2>(a));
  static_assert(std::is_same_v<shape_of<decltype(r)>, st::shape<3, 2>>);
  REQUIRE(r.dims() == st::extents<2>{3, 2});
  CHECK(r(0, 0) == 1);
  CHECK(r(0, 1) == 2);
  CHECK(r(1, 0) == 3);
  CHECK(r(2, 1) == 6);
  const auto f = st::eval(st::reshape<6>(a));
  static_assert(std::is_same_v<shape_of<decltype(f)>, st::shape<6>>);
  require_values(f, {1, 2, 3, 4, 5, 6});

  const auto x = st::testing::uniform<2, 3, 4>({2, 3, 4}, 1);
  const auto up = st::eval(st::reshape<2, 2, 3, 2>(x));
  static_assert(std::is_same_v<shape_of<decltype(up)>, st::shape<2, 2, 3, 2>>);
  require_values(up, flat(x));
  // a dyn target extent of a static input is inferred at compile time
  static_assert(std::is_same_v<shape_of<decltype(st::reshape<4, dyn>(x))>, st::shape<4, 6>>);
  static_assert(std::is_same_v<shape_of<decltype(st::reshape<dyn>(x))>, st::shape<24>>);
  const auto inferred = st::eval(st::reshape<dyn, 12>(x));
  static_assert(std::is_same_v<shape_of<decltype(inferred)>, st::shape<2, 12>>);
  require_values(inferred, flat(x));

  // a dyn input to a static target
  const auto d = st::testing::uniform<dyn, 4>({3, 4}, 2);
  const auto s = st::eval(st::reshape<2, 6>(d));
  static_assert(std::is_same_v<shape_of<decltype(s)>, st::shape<2, 6>>);
  require_values(s, flat(d));
}

TEST_CASE("reshape with one dyn target extent infers it at run time", "[reshape]") {
  const auto x = st::testing::uniform<dyn, 4>({3, 4}, 3);
  static_assert(std::is_same_v<shape_of<decltype(st::reshape<dyn, 2>(x))>, st::shape<dyn, 2>>);
  const auto r = st::eval(st::reshape<dyn, 2>(x));
  REQUIRE(r.dims() == st::extents<2>{6, 2});
  require_values(r, flat(x));
  const auto c = st::eval(st::reshape<2, dyn, 3>(x));
  REQUIRE(c.dims() == st::extents<3>{2, 2, 3});
  require_values(c, flat(x));
  const auto all = st::eval(st::reshape<dyn>(x));
  REQUIRE(all.dims() == st::extents<1>{12});
  require_values(all, flat(x));

  // images (None, 2, 3) flattened to (None, 6), for any batch size
  using images = st::tensor<double, st::shape<dyn, 2, 3>>;
  for (idx batch : {1, 4, 0}) {
    INFO("batch " << batch);
    const images im = images::random_uniform({batch, 2, 3}, 4);
    const auto flattened = st::eval(st::reshape<dyn, 6>(im));
    REQUIRE(flattened.dims() == st::extents<2>{batch, 6});
    require_values(flattened, flat(im));
  }
}

TEST_CASE("reshape of a tensor does not copy; of an expression, it evaluates it", "[reshape]") {
  const auto x = st::testing::uniform<dyn, 4>({3, 4}, 5);
  const auto r = st::reshape<dyn, 6>(x);
  r.forward();
  CHECK(r.data() == x.data());

  const auto e = st::reshape<dyn, 6>(st::exp(x) + 1.0);
  e.forward();
  CHECK(e.data() != x.data());
  std::vector<double> expected = flat(x);
  for (double& value : expected) value = std::exp(value) + 1;
  const auto ev = st::eval(e);
  REQUIRE(ev.dims() == st::extents<2>{2, 6});
  require_values(ev, expected);

  // of a node that already holds its value (a reduction): its memory is used as it is
  const auto m = st::reshape<2, 2>(st::sum(x, st::axis<0>));
  m.forward();
  std::vector<double> sums(4, 0.0);
  for (idx i = 0; i < 3; ++i)
    for (idx j = 0; j < 4; ++j) sums[std::size_t(j)] += x(i, j);
  for (std::size_t j = 0; j < 4; ++j) CHECK(m.data()[j] == Approx(sums[j]));
  require_values(st::eval(m), sums);
}

TEST_CASE("reshape passes gradient checks", "[reshape][gradcheck]") {
  SECTION("static shapes") {
    auto x = st::testing::uniform<2, 3, 4>({2, 3, 4}, 11);
    auto w = st::testing::uniform<2>({2}, 12, 0.5, 1.5);
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::reshape<6, 4>(x)), st::named("x", x)));
    STRATA_REQUIRE_GRADIENTS(
        st::gradcheck(st::project(st::reshape<12, 2>(x) * w), st::named("x", x), st::named("w", w)));
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::reshape<dyn, 3>(st::tanh(x))), st::named("x", x)));
  }
  SECTION("dyn shapes") {
    auto x = st::testing::uniform<dyn, 4>({3, 4}, 13);
    auto w = st::testing::uniform<2>({2}, 14, 0.5, 1.5);
    auto b = st::testing::uniform<dyn, 2>({6, 2}, 15);
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::reshape<dyn, 2>(x)), st::named("x", x)));
    STRATA_REQUIRE_GRADIENTS(
        st::gradcheck(st::project(st::exp(st::reshape<dyn, 2>(x * 0.5)) * w + b), st::named("x", x),
                      st::named("w", w), st::named("b", b)));
    // a reshape feeding a reduction and a matmul, and x reached both through a reshape and directly
    auto v = st::testing::uniform<4, 2>({4, 2}, 16);  // x·v is (3, 2), seen as (1, 6)
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::softmax(st::reshape<dyn, 6>(st::matmul(x, v)))),
                                           st::named("x", x), st::named("v", v)));
    STRATA_REQUIRE_GRADIENTS(
        st::gradcheck(st::sum(st::square(st::reshape<dyn>(x))) + st::sum(st::max(x, st::axis<1>)), st::named("x", x)));
  }
}

TEST_CASE("reshape whose element count does not fit at run time throws shape_error naming the shapes", "[reshape]") {
  using X = st::tensor<double, st::shape<dyn, 4>>;
  const X x(X::extents_type{3, 4});
  REQUIRE_THROWS_AS((st::reshape<5, dyn>(x)), st::shape_error);
  REQUIRE_THROWS_WITH((st::reshape<5, dyn>(x)), Catch::Contains("(3, 4)") && Catch::Contains("(5, None)"));
  REQUIRE_THROWS_WITH((st::reshape<2, 4>(x)), Catch::Contains("(3, 4)") && Catch::Contains("(2, 4)"));
  REQUIRE_THROWS_WITH((st::reshape<dyn, 8>(st::exp(x))), Catch::Contains("(3, 4)") && Catch::Contains("(None, 8)"));
  REQUIRE_NOTHROW((st::reshape<dyn, 6>(x)));
  REQUIRE_NOTHROW((st::reshape<2, 6>(x)));
}
