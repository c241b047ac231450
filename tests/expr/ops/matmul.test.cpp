// matmul in its three forms, transpose of the last two axes, and a self-attention built from them.

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "support/strata_test.hpp"

namespace st = strata;
using st::dyn;
using idx = st::index;

namespace {

/// C = A·B by a triple loop, batch by batch; B is shared by the batch when `b_batched` is false.
std::vector<double> matmul_by_loop(const double* a, const double* b, idx batch, idx n, idx k, idx m, bool b_batched) {
  std::vector<double> c(std::size_t(batch * n * m), 0.0);
  for (idx i = 0; i < batch; ++i)
    for (idx r = 0; r < n; ++r)
      for (idx col = 0; col < m; ++col) {
        double total = 0;
        for (idx j = 0; j < k; ++j) total += a[(i * n + r) * k + j] * b[((b_batched ? i : 0) * k + j) * m + col];
        c[std::size_t((i * n + r) * m + col)] = total;
      }
  return c;
}

/// The last two axes of row-major (batch, n, m) swapped, by a loop.
std::vector<double> transpose_by_loop(const double* x, idx batch, idx n, idx m) {
  std::vector<double> out(std::size_t(batch * n * m));
  for (idx i = 0; i < batch; ++i)
    for (idx r = 0; r < n; ++r)
      for (idx c = 0; c < m; ++c) out[std::size_t((i * m + c) * n + r)] = x[(i * n + r) * m + c];
  return out;
}

template <class Tensor>
void require_values(const Tensor& actual, const std::vector<double>& expected) {
  REQUIRE(actual.size() == idx(expected.size()));
  for (idx i = 0; i < actual.size(); ++i) {
    INFO("flat index " << i);
    REQUIRE(actual.data()[i] == Approx(expected[std::size_t(i)]).margin(1e-12));
  }
}

template <class A, class B>
using matmul_shape_of = typename decltype(st::matmul(std::declval<A&>(), std::declval<B&>()))::shape_type;

}  // namespace

TEST_CASE("matmul (n, k)·(k, m) against a triple loop", "[matmul]") {
  st::tensor<double, st::shape<2, 2>> a{{1, 2}, {3, 4}};
  st::tensor<double, st::shape<2, 2>> b{{5, 6}, {7, 8}};
  require_values(st::eval(st::matmul(a, b)), {19, 22, 43, 50});
  require_values(st::eval(st::matmul(b, a)), {23, 34, 31, 46});

  using A = st::tensor<double, st::shape<3, 4>>;
  using B = st::tensor<double, st::shape<4, 5>>;
  static_assert(std::is_same_v<matmul_shape_of<A, B>, st::shape<3, 5>>);
  const auto x = st::testing::uniform<3, 4>({3, 4}, 1);
  const auto w = st::testing::uniform<4, 5>({4, 5}, 2);
  const auto c = st::eval(st::matmul(x, w));
  require_values(c, matmul_by_loop(x.data(), w.data(), 1, 3, 4, 5, false));

  using D = st::tensor<double, st::shape<dyn, 4>>;
  using E = st::tensor<double, st::shape<dyn, dyn>>;
  static_assert(std::is_same_v<matmul_shape_of<D, B>, st::shape<dyn, 5>>);
  static_assert(std::is_same_v<matmul_shape_of<E, E>, st::shape<dyn, dyn>>);
  static_assert(std::is_same_v<matmul_shape_of<D, E>, st::shape<dyn, dyn>>);
  const auto d = st::testing::uniform<dyn, 4>({6, 4}, 3);
  const auto e = st::testing::uniform<dyn, dyn>({4, 2}, 4);
  const auto de = st::eval(st::matmul(d, e));
  REQUIRE(de.dims() == st::extents<2>{6, 2});
  require_values(de, matmul_by_loop(d.data(), e.data(), 1, 6, 4, 2, false));

  // an empty inner extent: a sum of nothing, zeros
  const E empty_a(E::extents_type{2, 0}), empty_b(E::extents_type{0, 3});
  require_values(st::eval(st::matmul(empty_a, empty_b)), {0, 0, 0, 0, 0, 0});
}

TEST_CASE("batched matmul (b, n, k)·(k, m) and (b, n, k)·(b, k, m) against a triple loop", "[matmul]") {
  using X = st::tensor<double, st::shape<2, 3, 4>>;
  using W = st::tensor<double, st::shape<4, 5>>;
  using V = st::tensor<double, st::shape<2, 4, 5>>;
  static_assert(std::is_same_v<matmul_shape_of<X, W>, st::shape<2, 3, 5>>);
  static_assert(std::is_same_v<matmul_shape_of<X, V>, st::shape<2, 3, 5>>);
  using DX = st::tensor<double, st::shape<dyn, dyn, 4>>;
  using DV = st::tensor<double, st::shape<dyn, 4, dyn>>;
  static_assert(std::is_same_v<matmul_shape_of<DX, W>, st::shape<dyn, dyn, 5>>);
  static_assert(std::is_same_v<matmul_shape_of<DX, DV>, st::shape<dyn, dyn, dyn>>);
  static_assert(std::is_same_v<matmul_shape_of<DX, V>, st::shape<2, dyn, 5>>);  // the batch extent is learnt from V

  const auto x = st::testing::uniform<2, 3, 4>({2, 3, 4}, 5);
  const auto w = st::testing::uniform<4, 5>({4, 5}, 6);
  const auto v = st::testing::uniform<2, 4, 5>({2, 4, 5}, 7);
  require_values(st::eval(st::matmul(x, w)), matmul_by_loop(x.data(), w.data(), 2, 3, 4, 5, false));
  require_values(st::eval(st::matmul(x, v)), matmul_by_loop(x.data(), v.data(), 2, 3, 4, 5, true));

  const auto dx = st::testing::uniform<dyn, dyn, 4>({3, 2, 4}, 8);
  const auto dv = st::testing::uniform<dyn, 4, dyn>({3, 4, 6}, 9);
  const auto dxw = st::eval(st::matmul(dx, w));
  REQUIRE(dxw.dims() == st::extents<3>{3, 2, 5});
  require_values(dxw, matmul_by_loop(dx.data(), w.data(), 3, 2, 4, 5, false));
  const auto dxv = st::eval(st::matmul(dx, dv));
  REQUIRE(dxv.dims() == st::extents<3>{3, 2, 6});
  require_values(dxv, matmul_by_loop(dx.data(), dv.data(), 3, 2, 4, 6, true));
}

TEST_CASE("transpose swaps the last two axes", "[matmul][transpose]") {
  st::tensor<double, st::shape<2, 3>> a{{1, 2, 3}, {4, 5, 6}};
  const auto t = st::eval(st::transpose(a));
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(t)>::shape_type, st::shape<3, 2>>);
  require_values(t, {1, 4, 2, 5, 3, 6});

  const auto x = st::testing::uniform<2, 3, 4>({2, 3, 4}, 10);
  const auto tx = st::eval(st::transpose(x));
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(tx)>::shape_type, st::shape<2, 4, 3>>);
  require_values(tx, transpose_by_loop(x.data(), 2, 3, 4));

  const auto d = st::testing::uniform<dyn, dyn, 4>({3, 5, 4}, 11);
  const auto td = st::eval(st::transpose(d));
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(td)>::shape_type, st::shape<dyn, 4, dyn>>);
  REQUIRE(td.dims() == st::extents<3>{3, 4, 5});
  require_values(td, transpose_by_loop(d.data(), 3, 5, 4));
  require_values(st::eval(st::transpose(st::transpose(d))), std::vector<double>(d.begin(), d.end()));

  // matmul(a, transpose(b)): (n, k)·(m, k)ᵀ and (b, n, k)·(b, m, k)ᵀ
  const auto p = st::testing::uniform<3, 4>({3, 4}, 12);
  const auto q = st::testing::uniform<dyn, 4>({5, 4}, 13);
  const auto pq = st::eval(st::matmul(p, st::transpose(q)));
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(pq)>::shape_type, st::shape<3, dyn>>);
  const auto qt = transpose_by_loop(q.data(), 1, 5, 4);
  require_values(pq, matmul_by_loop(p.data(), qt.data(), 1, 3, 4, 5, false));
  const auto r = st::testing::uniform<dyn, dyn, 4>({3, 2, 4}, 14);
  const auto dt = transpose_by_loop(d.data(), 3, 5, 4);
  require_values(st::eval(st::matmul(r, st::transpose(d))), matmul_by_loop(r.data(), dt.data(), 3, 2, 4, 5, true));
}

TEST_CASE("matmul and transpose pass gradient checks with respect to both operands", "[matmul][gradcheck]") {
  SECTION("static shapes") {
    auto a = st::testing::uniform<3, 4>({3, 4}, 21);
    auto b = st::testing::uniform<4, 2>({4, 2}, 22);
    auto x = st::testing::uniform<2, 3, 4>({2, 3, 4}, 23);
    auto v = st::testing::uniform<2, 4, 2>({2, 4, 2}, 24);
    auto c = st::testing::uniform<2, 5, 4>({2, 5, 4}, 25);
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::matmul(a, b)), st::named("a", a), st::named("b", b)));
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::matmul(x, b)), st::named("x", x), st::named("b", b)));
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::matmul(x, v)), st::named("x", x), st::named("v", v)));
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::transpose(a)), st::named("a", a)));
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::transpose(x)), st::named("x", x)));
    STRATA_REQUIRE_GRADIENTS(
        st::gradcheck(st::project(st::matmul(x, st::transpose(c))), st::named("x", x), st::named("c", c)));
  }
  SECTION("dyn batch, static inner extents") {
    auto x = st::testing::uniform<dyn, 3, 4>({3, 3, 4}, 31);
    auto w = st::testing::uniform<4, 2>({4, 2}, 32);
    auto v = st::testing::uniform<dyn, 4, 2>({3, 4, 2}, 33);
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::matmul(x, w)), st::named("x", x), st::named("w", w)));
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::matmul(x, v)), st::named("x", x), st::named("v", v)));
    STRATA_REQUIRE_GRADIENTS(
        st::gradcheck(st::project(st::matmul(st::transpose(v), st::transpose(x))), st::named("x", x), st::named("v", v)));
  }
  SECTION("every extent dyn") {
    auto a = st::testing::uniform<dyn, dyn>({5, 3}, 41);
    auto b = st::testing::uniform<dyn, dyn>({3, 2}, 42);
    auto x = st::testing::uniform<dyn, dyn, dyn>({2, 4, 3}, 43);
    auto v = st::testing::uniform<dyn, dyn, dyn>({2, 3, 4}, 44);
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::matmul(a, b)), st::named("a", a), st::named("b", b)));
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::matmul(x, b)), st::named("x", x), st::named("b", b)));
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::matmul(x, v)), st::named("x", x), st::named("v", v)));
    STRATA_REQUIRE_GRADIENTS(
        st::gradcheck(st::project(st::matmul(a, st::transpose(a))), st::named("a", a)));  // a used twice
  }
}

TEST_CASE("matmul of lazy expressions", "[matmul][gradcheck]") {
  auto x = st::testing::uniform<dyn, 4>({5, 4}, 51);
  auto w = st::testing::uniform<4, 3>({4, 3}, 52);
  auto bias = st::testing::uniform<3>({3}, 53);

  const auto y = st::eval(st::matmul(st::tanh(x), w));
  std::vector<double> tx(x.begin(), x.end());
  for (double& value : tx) value = std::tanh(value);
  require_values(y, matmul_by_loop(tx.data(), w.data(), 1, 5, 4, 3, false));

  STRATA_REQUIRE_GRADIENTS(
      st::gradcheck(st::project(st::matmul(st::tanh(x), w)), st::named("x", x), st::named("w", w)));
  // a dense layer with a bias, the product feeding elementwise ops
  STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::sigmoid(st::matmul(x, w) + bias)), st::named("x", x),
                                         st::named("w", w), st::named("bias", bias)));
  // both operands lazy, and a product of products
  auto u = st::testing::uniform<3, 2>({3, 2}, 54);
  STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::matmul(st::matmul(x * 0.5, st::exp(w)), u)),
                                         st::named("x", x), st::named("w", w), st::named("u", u)));
}

TEST_CASE("self-attention from matmul, transpose and softmax passes gradient checks", "[matmul][gradcheck]") {
  // x: (batch, seq, 4), both dyn; q k v: (batch, seq, 3)
  auto x = st::testing::uniform<dyn, dyn, 4>({2, 3, 4}, 61);
  auto wq = st::testing::uniform<4, 3>({4, 3}, 62);
  auto wk = st::testing::uniform<4, 3>({4, 3}, 63);
  auto wv = st::testing::uniform<4, 3>({4, 3}, 64);
  auto attention = [&] {
    auto scores = st::matmul(st::matmul(x, wq), st::transpose(st::matmul(x, wk)));
    return st::matmul(st::softmax(scores), st::matmul(x, wv));
  };
  static_assert(std::is_same_v<decltype(attention())::shape_type, st::shape<dyn, dyn, 3>>);

  // values against loops
  const auto out = st::eval(attention());
  REQUIRE(out.dims() == st::extents<3>{2, 3, 3});
  const auto q = matmul_by_loop(x.data(), wq.data(), 2, 3, 4, 3, false);
  const auto k = matmul_by_loop(x.data(), wk.data(), 2, 3, 4, 3, false);
  const auto v = matmul_by_loop(x.data(), wv.data(), 2, 3, 4, 3, false);
  const auto kt = transpose_by_loop(k.data(), 2, 3, 3);
  auto p = matmul_by_loop(q.data(), kt.data(), 2, 3, 3, 3, true);
  for (std::size_t row = 0; row < 6; ++row) {
    double peak = p[row * 3], total = 0;
    for (std::size_t j = 1; j < 3; ++j) peak = std::max(peak, p[row * 3 + j]);
    for (std::size_t j = 0; j < 3; ++j) total += (p[row * 3 + j] = std::exp(p[row * 3 + j] - peak));
    for (std::size_t j = 0; j < 3; ++j) p[row * 3 + j] /= total;
  }
  require_values(out, matmul_by_loop(p.data(), v.data(), 2, 3, 3, 3, true));

  STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(attention()), st::named("x", x), st::named("wq", wq),
                                         st::named("wk", wk), st::named("wv", wv)));
  // another batch size and sequence length through the same types
  auto x2 = st::testing::uniform<dyn, dyn, 4>({1, 5, 4}, 65);
  x = x2;
  STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(attention()), st::named("x", x), st::named("wq", wq),
                                         st::named("wk", wk), st::named("wv", wv)));
}

TEST_CASE("matmul of dyn operands whose extents do not fit throws shape_error naming both shapes", "[matmul]") {
  using E = st::tensor<double, st::shape<dyn, dyn>>;
  const E a(E::extents_type{2, 3});
  const E b(E::extents_type{4, 5});
  REQUIRE_THROWS_AS(st::matmul(a, b), st::shape_error);
  REQUIRE_THROWS_WITH(st::matmul(a, b), Catch::Contains("(2, 3)") && Catch::Contains("(4, 5)"));

  using X = st::tensor<double, st::shape<dyn, 3, 4>>;
  const X x(X::extents_type{2, 3, 4});
  const st::tensor<double, st::shape<4, 2>> w;
  const st::tensor<double, st::shape<dyn, 4, 2>> v(st::extents<3>{3, 4, 2});  // batch 3 against 2
  REQUIRE_NOTHROW(st::matmul(x, w));
  REQUIRE_THROWS_WITH(st::matmul(x, v), Catch::Contains("(2, 3, 4)") && Catch::Contains("(3, 4, 2)"));
  const E k(E::extents_type{3, 2});  // inner 4 against 3
  REQUIRE_THROWS_WITH(st::matmul(x, k), Catch::Contains("(2, 3, 4)") && Catch::Contains("(3, 2)"));
  // and through a lazy operand
  REQUIRE_THROWS_AS(st::matmul(st::tanh(a), st::exp(b)), st::shape_error);
}
