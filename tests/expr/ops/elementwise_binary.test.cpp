// Elementwise binary and ternary ops (+ - * / pow maximum minimum select and the comparisons):
// values against hand-computed numbers or plain loops, gradients against finite differences for
// both operands, with numpy broadcasting, scalar operands and run-time shape errors.

#include <cmath>
#include <cstddef>

#include "support/strata_test.hpp"

namespace st = strata;

namespace {

template <std::size_t Rank>
st::extents<Rank> unravel(st::index flat, const st::extents<Rank>& dims) {
  st::extents<Rank> position{};
  for (std::size_t i = Rank; i-- > 0;) {
    position[i] = flat % dims[i];
    flat /= dims[i];
  }
  return position;
}

/// Row-major offset of the element that numpy broadcasting reads from an operand of extents `in`
/// at output position `position` (axes aligned on the right; an extent 1 repeats).
template <std::size_t Rank, std::size_t OutRank>
st::index source_offset(const st::extents<Rank>& in, const st::extents<OutRank>& position) {
  st::index offset = 0;
  for (std::size_t i = 0; i < Rank; ++i) offset = offset * in[i] + (in[i] == 1 ? 0 : position[OutRank - Rank + i]);
  return offset;
}

/// Requires `out` to have extents `dims` and out[p] == f(a[p'], b[p'']) at every position, by a loop.
template <class Out, class A, class B, class F>
void require_broadcast(const Out& out, const typename Out::extents_type& dims, const A& a, const B& b, F f) {
  REQUIRE(out.dims() == dims);
  for (st::index i = 0; i < out.size(); ++i) {
    const auto position = unravel(i, dims);
    const double expected = f(a.data()[source_offset(a.dims(), position)], b.data()[source_offset(b.dims(), position)]);
    INFO("flat index " << i);
    REQUIRE(out.data()[i] == Approx(expected).epsilon(1e-13).margin(1e-300));
  }
}

/// + - * / of a and b: values against a loop (output extents `dims`) and gradients for both
/// operands. b must stay away from 0.
template <class A, class B>
void check_arithmetic(A& a, B& b, const auto& dims) {
  SECTION("add") {
    require_broadcast(st::eval(a + b), dims, a, b, [](double x, double y) { return x + y; });
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(a + b), st::named("a", a), st::named("b", b)));
  }
  SECTION("subtract") {
    require_broadcast(st::eval(a - b), dims, a, b, [](double x, double y) { return x - y; });
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(a - b), st::named("a", a), st::named("b", b)));
  }
  SECTION("multiply") {
    require_broadcast(st::eval(a * b), dims, a, b, [](double x, double y) { return x * y; });
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(a * b), st::named("a", a), st::named("b", b)));
  }
  SECTION("divide") {
    require_broadcast(st::eval(a / b), dims, a, b, [](double x, double y) { return x / y; });
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(a / b), st::named("a", a), st::named("b", b)));
  }
}

/// A broadcast pair (output extents `dims`): a / b against a loop and its gradients for both
/// operands (d/db reads both operands through the broadcast). Every op goes through the same
/// broadcast code, which tests/expr/broadcast.test.cpp checks path by path. b must avoid 0.
template <class A, class B>
void check_broadcast_pair(A& a, B& b, const auto& dims) {
  require_broadcast(st::eval(a / b), dims, a, b, [](double x, double y) { return x / y; });
  STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(a / b), st::named("a", a), st::named("b", b)));
}

template <class T>
using vec = st::tensor<T, st::shape<st::dyn>>;
using rows4 = st::tensor<double, st::shape<st::dyn, 4>>;

}  // namespace

TEST_CASE("arithmetic on equal static shapes gives hand-computed values", "[binary]") {
  st::tensor<double, st::shape<2, 3>> a{{1, -2, 3}, {0.5, 4, -6}};
  st::tensor<double, st::shape<2, 3>> b{{2, 4, -1}, {0.25, -8, 3}};
  using M = st::tensor<double, st::shape<2, 3>>;
  CHECK(st::allclose(st::eval(a + b), M{{3, 2, 2}, {0.75, -4, -3}}, 0, 0));
  CHECK(st::allclose(st::eval(a - b), M{{-1, -6, 4}, {0.25, 12, -9}}, 0, 0));
  CHECK(st::allclose(st::eval(a * b), M{{2, -8, -3}, {0.125, -32, -18}}, 0, 0));
  CHECK(st::allclose(st::eval(a / b), M{{0.5, -0.5, -3}, {2, -0.5, -2}}, 0, 0));
  CHECK(st::allclose(st::eval(st::maximum(a, b)), M{{2, 4, 3}, {0.5, 4, 3}}, 0, 0));
  CHECK(st::allclose(st::eval(st::minimum(a, b)), M{{1, -2, -1}, {0.25, -8, -6}}, 0, 0));

  st::tensor<double, st::shape<2, 3>> base{{2, 9, 4}, {-2, 0, 10}};
  st::tensor<double, st::shape<2, 3>> exponent{{3, 0.5, -1}, {3, 2, -2}};
  CHECK(st::allclose(st::eval(st::pow(base, exponent)), M{{8, 3, 0.25}, {-8, 0, 0.01}}, 1e-15, 0));

  SECTION("float") {
    using F = st::tensor<float, st::shape<2, 3>>;
    F fa{{1, -2, 3}, {0.5, 4, -6}}, fb{{2, 4, -1}, {0.25, -8, 3}};
    CHECK(st::allclose(st::eval(st::maximum(fa, fb) * fb - fa / fb),
                       F{{3.5f, 16.5f, 0}, {-1.875f, -31.5f, 11}}, 1e-6, 0));
  }
}

TEST_CASE("arithmetic on equal shapes: loops and gradients, static and dyn", "[binary]") {
  SECTION("static (3, 4)") {
    auto a = st::testing::uniform<3, 4>({3, 4}, 1, -1, 1);
    auto b = st::testing::uniform<3, 4>({3, 4}, 2, 0.5, 2);
    check_arithmetic(a, b, st::extents<2>{3, 4});
  }
  SECTION("dyn (None, 4) with 3 rows") {
    auto a = st::testing::uniform<st::dyn, 4>({3, 4}, 3, -1, 1);
    auto b = st::testing::uniform<st::dyn, 4>({3, 4}, 4, 0.5, 2);
    check_arithmetic(a, b, st::extents<2>{3, 4});
  }
  SECTION("a static shape with a dyn one") {
    auto a = st::testing::uniform<3, 4>({3, 4}, 5, -1, 1);
    auto b = st::testing::uniform<st::dyn, 4>({3, 4}, 6, 0.5, 2);
    const rows4 sum = a + b;
    require_broadcast(sum, {3, 4}, a, b, [](double x, double y) { return x + y; });
  }
}

TEST_CASE("pow, maximum and minimum: gradients for both operands", "[binary]") {
  SECTION("static") {
    auto a = st::testing::uniform<3, 4>({3, 4}, 7, 0.5, 2);
    auto b = st::testing::uniform<3, 4>({3, 4}, 8, -1.5, 1.5);
    require_broadcast(st::eval(st::pow(a, b)), {3, 4}, a, b, [](double x, double y) { return std::pow(x, y); });
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::pow(a, b)), st::named("a", a), st::named("b", b)));
    // maximum and minimum: on dyn shapes below, and exactly at ties in the next test case.
  }
  SECTION("dyn") {
    auto a = st::testing::uniform<st::dyn, 4>({3, 4}, 9, 0.5, 2);
    auto b = st::testing::uniform<st::dyn, 4>({3, 4}, 10, 0, 2);
    require_broadcast(st::eval(st::maximum(a, b)), {3, 4}, a, b, [](double x, double y) { return std::max(x, y); });
    require_broadcast(st::eval(st::minimum(a, b)), {3, 4}, a, b, [](double x, double y) { return std::min(x, y); });
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::pow(a, b)), st::named("a", a), st::named("b", b)));
    // Random samples: a in [0.5, 2) and b in [0, 2) have no ties at these seeds.
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::maximum(a, b)), st::named("a", a), st::named("b", b)));
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::minimum(a, b)), st::named("a", a), st::named("b", b)));
  }
  SECTION("the exponent's gradient is 0 where the base is <= 0 (TensorFlow), not NaN") {
    vec<double> base{-2, 0, 2}, exponent{3, 2, 2};
    const auto [value, grads] = st::value_and_grad(st::sum(st::pow(base, exponent)), base, exponent);
    CHECK(value == Approx(-4));
    const auto& [d_base, d_exponent] = grads;
    CHECK(d_base(0) == Approx(12));  // 3·(-2)²
    CHECK(d_base(1) == 0);           // 2·0¹
    CHECK(d_base(2) == Approx(4));
    CHECK(d_exponent(0) == 0);
    CHECK(d_exponent(1) == 0);
    CHECK(d_exponent(2) == Approx(4 * std::log(2.0)));
  }
}

TEST_CASE("scalar operands on either side", "[binary]") {
  vec<double> x{-2, 0.5, 1, 4};
  CHECK(st::allclose(st::eval(2.0 * x), vec<double>{-4, 1, 2, 8}, 0, 0));
  CHECK(st::allclose(st::eval(x * 2.0), vec<double>{-4, 1, 2, 8}, 0, 0));
  CHECK(st::allclose(st::eval(x - 1.0), vec<double>{-3, -0.5, 0, 3}, 0, 0));
  CHECK(st::allclose(st::eval(1.0 - x), vec<double>{3, 0.5, 0, -3}, 0, 0));
  CHECK(st::allclose(st::eval(1.0 / x), vec<double>{-0.5, 2, 1, 0.25}, 0, 0));
  CHECK(st::allclose(st::eval(x / 2.0), vec<double>{-1, 0.25, 0.5, 2}, 0, 0));
  CHECK(st::allclose(st::eval(st::pow(x, 2.0)), vec<double>{4, 0.25, 1, 16}, 0, 0));
  CHECK(st::allclose(st::eval(st::pow(2.0, x)), vec<double>{0.25, std::sqrt(2.0), 2, 16}, 1e-15, 0));
  CHECK(st::allclose(st::eval(st::minimum(0.75, x)), vec<double>{-2, 0.5, 0.75, 0.75}, 0, 0));
  CHECK(st::allclose(st::eval(3 * x + 1), vec<double>{-5, 2.5, 4, 13}, 0, 0));  // int literals

  SECTION("float tensors take double and int literals") {
    vec<float> f{-2, 0.5f, 1, 4};
    CHECK(st::allclose(st::eval(2.0f * f - 1), vec<float>{-5, 0, 1, 7}, 0, 0));
    CHECK(st::allclose(st::eval(1.0 / f), vec<float>{-0.5f, 2, 1, 0.25f}, 0, 0));
  }
  SECTION("gradients, static and dyn") {
    auto s = st::testing::uniform<3, 4>({3, 4}, 21, 0.5, 2);
    auto d = st::testing::uniform<st::dyn, 4>({2, 4}, 22, 0.5, 2);
    // A number on the left of / and pow, on the right of pow and *; + and - pass g or -g.
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(1.0 / st::pow(s, 1.5)), st::named("s", s)));
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::pow(2.0, d) * 3.0), st::named("d", d)));
  }
}

TEST_CASE("broadcasting over leading axes", "[binary][broadcast]") {
  SECTION("(None, f) with (f)") {
    auto x = st::testing::uniform<st::dyn, 4>({3, 4}, 31, -1, 1);
    auto w = st::testing::uniform<4>({4}, 32, 0.5, 2);
    check_broadcast_pair(x, w, st::extents<2>{3, 4});
  }
  SECTION("(None, s, f) with (s, f)") {
    auto x = st::testing::uniform<st::dyn, 3, 4>({2, 3, 4}, 35, -1, 1);
    auto w = st::testing::uniform<3, 4>({3, 4}, 36, 0.5, 2);
    check_broadcast_pair(x, w, st::extents<3>{2, 3, 4});
  }
}

TEST_CASE("keepdims-style broadcasting: (None, 1) with (None, f)", "[binary][broadcast]") {
  // The other operand orders are checked against loops in tests/expr/broadcast.test.cpp.
  auto m = st::testing::uniform<st::dyn, 1>({3, 1}, 41, -1, 1);
  auto x = st::testing::uniform<st::dyn, 4>({3, 4}, 42, 0.5, 2);
  check_broadcast_pair(m, x, st::extents<2>{3, 4});
}

TEST_CASE("general numpy broadcasting", "[binary][broadcast]") {
  SECTION("(None, 1, f) with (None, s, f)") {
    auto a = st::testing::uniform<st::dyn, 1, 4>({2, 1, 4}, 51, -1, 1);
    auto b = st::testing::uniform<st::dyn, 3, 4>({2, 3, 4}, 52, 0.5, 2);
    check_broadcast_pair(a, b, st::extents<3>{2, 3, 4});
  }
  SECTION("(s, 1) with (1, f): both operands broadcast") {
    auto a = st::testing::uniform<3, 1>({3, 1}, 55, -1, 1);
    auto b = st::testing::uniform<1, 4>({1, 4}, 56, 0.5, 2);
    check_broadcast_pair(a, b, st::extents<2>{3, 4});
  }
  SECTION("hand-computed (2, 1) + (1, 3)") {
    st::tensor<double, st::shape<2, 1>> column{{10}, {20}};
    st::tensor<double, st::shape<1, 3>> row{{1, 2, 3}};
    CHECK(st::allclose(st::eval(column + row), st::tensor<double, st::shape<2, 3>>{{11, 12, 13}, {21, 22, 23}}, 0, 0));
    const auto [value, grads] = st::value_and_grad(st::sum(column * row), column, row);
    CHECK(value == Approx(180));
    CHECK(st::allclose(std::get<0>(grads), st::tensor<double, st::shape<2, 1>>{{6}, {6}}, 0, 0));
    CHECK(st::allclose(std::get<1>(grads), st::tensor<double, st::shape<1, 3>>{{30, 30, 30}}, 0, 0));
  }
}

TEST_CASE("a rank-0 tensor operand broadcasts like a number and gets a summed gradient", "[binary][broadcast]") {
  auto s = st::tensor<double, st::shape<>>::full({}, 1.5);
  SECTION("values") {
    st::tensor<double, st::shape<2, 2>> x{{1, 2}, {3, 4}};
    CHECK(st::allclose(st::eval(x * s), st::tensor<double, st::shape<2, 2>>{{1.5, 3}, {4.5, 6}}, 0, 0));
    CHECK(st::allclose(st::eval(s - x), st::tensor<double, st::shape<2, 2>>{{0.5, -0.5}, {-1.5, -2.5}}, 0, 0));
    const auto [value, grads] = st::value_and_grad(st::sum(x * s), x, s);
    CHECK(value == Approx(15));
    CHECK(std::get<1>(grads).item() == Approx(10));
    CHECK(st::eval(s * s).item() == 2.25);
  }
  SECTION("gradients with a dyn operand") {
    auto x = st::testing::uniform<st::dyn, 4>({3, 4}, 61, 0.5, 2);
    check_broadcast_pair(x, s, st::extents<2>{3, 4});
  }
  SECTION("gradients with the scalar first") {
    auto x = st::testing::uniform<2, 3>({2, 3}, 62, 0.5, 2);
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(s / x), st::named("s", s), st::named("x", x)));
  }
}

TEST_CASE("maximum and minimum send the gradient of a tie to the first operand (TensorFlow)", "[binary]") {
  vec<double> a{1, 2, 3}, b{1, 0, 5};
  SECTION("maximum") {
    const auto grads = st::grad(st::sum(st::maximum(a, b)), a, b);
    CHECK(st::allclose(std::get<0>(grads), vec<double>{1, 1, 0}, 0, 0));
    CHECK(st::allclose(std::get<1>(grads), vec<double>{0, 0, 1}, 0, 0));
    const auto swapped = st::grad(st::sum(st::maximum(b, a)), a, b);
    CHECK(st::allclose(std::get<0>(swapped), vec<double>{0, 1, 0}, 0, 0));
    CHECK(st::allclose(std::get<1>(swapped), vec<double>{1, 0, 1}, 0, 0));
  }
  SECTION("minimum") {
    const auto grads = st::grad(st::sum(st::minimum(a, b)), a, b);
    CHECK(st::allclose(std::get<0>(grads), vec<double>{1, 0, 1}, 0, 0));
    CHECK(st::allclose(std::get<1>(grads), vec<double>{0, 1, 0}, 0, 0));
  }
  SECTION("against a number") {
    vec<double> x{-1, 0, 2};
    CHECK(st::allclose(std::get<0>(st::grad(st::sum(st::maximum(x, 0.0)), x)), vec<double>{0, 1, 1}, 0, 0));
    CHECK(st::allclose(std::get<0>(st::grad(st::sum(st::maximum(0.0, x)), x)), vec<double>{0, 0, 1}, 0, 0));
  }
}

TEST_CASE("select picks elementwise and sends the gradient only to the chosen branch", "[binary]") {
  vec<double> condition{1, 0, -2, 0}, a{10, 20, 30, 40}, b{-1, -2, -3, -4}, weights{1, 2, 3, 4};
  CHECK(st::allclose(st::eval(st::select(condition, a, b)), vec<double>{10, -2, 30, -4}, 0, 0));
  CHECK(st::allclose(st::eval(st::select(condition, a, 0.5)), vec<double>{10, 0.5, 30, 0.5}, 0, 0));
  CHECK(st::allclose(st::eval(st::select(condition, 7, b)), vec<double>{7, -2, 7, -4}, 0, 0));

  SECTION("gradients") {
    const auto grads = st::grad(st::sum(st::select(condition, a, b) * weights), condition, a, b);
    CHECK(st::allclose(std::get<0>(grads), vec<double>{0, 0, 0, 0}, 0, 0));
    CHECK(st::allclose(std::get<1>(grads), vec<double>{1, 0, 3, 0}, 0, 0));
    CHECK(st::allclose(std::get<2>(grads), vec<double>{0, 2, 0, 4}, 0, 0));
    // The same through the general reverse sweep (the loss is no longer a sum at the top).
    const auto swept = st::grad(st::sum(st::select(condition, a, b) * weights) * 1.0, condition, a, b);
    CHECK(st::allclose(std::get<0>(swept), vec<double>{0, 0, 0, 0}, 0, 0));
    CHECK(st::allclose(std::get<1>(swept), vec<double>{1, 0, 3, 0}, 0, 0));
    CHECK(st::allclose(std::get<2>(swept), vec<double>{0, 2, 0, 4}, 0, 0));
  }
  SECTION("a leaky relu from a comparison") {
    vec<double> x{-2, -0.5, 0.5, 3};
    const auto leaky = [&] { return st::select(x > 0.0, x, 0.1 * x); };
    CHECK(st::allclose(st::eval(leaky()), vec<double>{-0.2, -0.05, 0.5, 3}, 1e-15, 0));
    CHECK(st::allclose(std::get<0>(st::grad(st::sum(leaky()), x)), vec<double>{0.1, 0.1, 1, 1}, 1e-15, 0));
  }
  SECTION("a broadcast condition, values and gradient checks, static and dyn") {
    auto mask = st::tensor<double, st::shape<st::dyn, 1>>{{1}, {0}, {1}};
    auto x = st::testing::uniform<st::dyn, 4>({3, 4}, 71, -1, 1);
    auto y = st::testing::uniform<4>({4}, 72, -1, 1);
    const rows4 chosen = st::select(mask, x, y);
    REQUIRE(chosen.dims() == st::extents<2>{3, 4});
    for (st::index i = 0; i < 3; ++i)
      for (st::index j = 0; j < 4; ++j) REQUIRE(chosen(i, j) == (i == 1 ? y(j) : x(i, j)));
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::select(mask, x, y)), st::named("x", x), st::named("y", y)));

    st::tensor<double, st::shape<3, 4>> c{{1, 0, 0, 1}, {0, 1, 0, 1}, {1, 1, 0, 0}};
    auto p = st::testing::uniform<3, 4>({3, 4}, 73, -1, 1);
    auto q = st::testing::uniform<3, 4>({3, 4}, 74, -1, 1);
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::select(c, p, q)), st::named("p", p), st::named("q", q)));
  }
}

TEST_CASE("comparisons give 1 or 0 and pass no gradient", "[binary]") {
  vec<double> x{1, 2, 3}, y{2, 2, 2};
  CHECK(st::allclose(st::eval(x > y), vec<double>{0, 0, 1}, 0, 0));
  CHECK(st::allclose(st::eval(x >= y), vec<double>{0, 1, 1}, 0, 0));
  CHECK(st::allclose(st::eval(x < y), vec<double>{1, 0, 0}, 0, 0));
  CHECK(st::allclose(st::eval(x <= y), vec<double>{1, 1, 0}, 0, 0));
  CHECK(st::allclose(st::eval(x > 2.0), vec<double>{0, 0, 1}, 0, 0));
  CHECK(st::allclose(st::eval(2.0 > x), vec<double>{1, 0, 0}, 0, 0));
  CHECK(st::allclose(st::eval(2 <= x), vec<double>{0, 1, 1}, 0, 0));

  SECTION("float, broadcast") {
    st::tensor<float, st::shape<2, 2>> m{{1, 5}, {3, -1}};
    st::tensor<float, st::shape<2>> threshold{2, 0};
    CHECK(st::allclose(st::eval(m >= threshold), st::tensor<float, st::shape<2, 2>>{{0, 1}, {1, 0}}, 0, 0));
  }
  SECTION("no gradient") {
    const auto [value, grads] = st::value_and_grad(st::sum(x >= y), x, y);
    CHECK(value == 2);
    CHECK(st::allclose(std::get<0>(grads), vec<double>{0, 0, 0}, 0, 0));
    CHECK(st::allclose(std::get<1>(grads), vec<double>{0, 0, 0}, 0, 0));
    // x·[x >= 2]: the mask is a constant for the gradient.
    CHECK(st::allclose(std::get<0>(st::grad(st::sum(x * (x >= 2.0)), x)), vec<double>{0, 1, 1}, 0, 0));
  }
}

TEST_CASE("a tensor used twice gets its gradients summed", "[binary]") {
  SECTION("x * x against 2x") {
    auto x = st::testing::uniform<st::dyn, 4>({3, 4}, 81, -2, 2);
    const auto [value, grads] = st::value_and_grad(st::sum(x * x), x);
    double expected = 0;
    for (double v : x) expected += v * v;
    CHECK(value == Approx(expected).epsilon(1e-13));
    const rows4 twice_x = 2.0 * x;
    CHECK(st::allclose(std::get<0>(grads), twice_x, 1e-15, 0));
  }
  SECTION("x - x, x + x and a broadcast operand used twice") {
    st::tensor<double, st::shape<2, 3>> x{{1, 2, 3}, {4, 5, 6}};
    CHECK(st::allclose(std::get<0>(st::grad(st::sum(x - x), x)), st::tensor<double, st::shape<2, 3>>::zeros(), 0, 0));
    CHECK(st::allclose(std::get<0>(st::grad(st::sum(x + x), x)), st::tensor<double, st::shape<2, 3>>::full({2, 3}, 2),
                       0, 0));
    st::tensor<double, st::shape<3>> w{0.5, -1, 2};
    // d/dw Σ (x·w + w) = Σ_rows x + 2.
    CHECK(st::allclose(std::get<0>(st::grad(st::sum(x * w + w), w)), st::tensor<double, st::shape<3>>{7, 9, 11}, 0, 0));
    auto xs = st::testing::uniform<st::dyn, 3>({4, 3}, 82, -1, 1);
    auto ws = st::testing::uniform<3>({3}, 83, -1, 1);
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::exp(xs * ws) * ws), st::named("x", xs), st::named("w", ws)));
  }
}

TEST_CASE("a run-time mismatch of dyn extents throws shape_error naming both shapes", "[binary][errors]") {
  const rows4 a({3, 4}), b({5, 4});
  REQUIRE_THROWS_AS(a + b, st::shape_error);
  REQUIRE_THROWS_WITH(a + b, Catch::Contains("(3, 4)") && Catch::Contains("(5, 4)"));
  REQUIRE_THROWS_WITH(st::exp(a) * b, Catch::Contains("(3, 4)") && Catch::Contains("(5, 4)"));
  REQUIRE_THROWS_WITH(st::maximum(b, a), Catch::Contains("(5, 4)") && Catch::Contains("(3, 4)"));

  SECTION("a dyn extent against a static one") {
    const vec<double> v(st::extents<1>{5});
    const st::tensor<double, st::shape<4>> w;
    REQUIRE_THROWS_WITH(v - w, Catch::Contains("(5,)") && Catch::Contains("(4,)"));
  }
  SECTION("only a static 1 broadcasts: a dyn extent that is 1 at run time must still match") {
    const rows4 one_row({1, 4});
    const st::tensor<double, st::shape<3, 4>> three_rows;
    REQUIRE_THROWS_WITH(one_row * three_rows, Catch::Contains("(1, 4)") && Catch::Contains("(3, 4)"));
  }
  SECTION("the third operand of select") {
    const rows4 condition({3, 4});
    REQUIRE_THROWS_WITH(st::select(condition, a, b), Catch::Contains("(3, 4)") && Catch::Contains("(5, 4)"));
  }
  SECTION("matching extents do not throw") {
    const rows4 c({3, 4});
    REQUIRE_NOTHROW(st::eval(a + c));
  }
}
