// Tests of strata/tensor/tensor.hpp: construction, factories, random tensors, element access,
// resize, the flat/canvas/matrix views, allclose and item(); integer tensors (storage only).

#include "support/strata_test.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace st = strata;
using st::dyn;
using st::extents;
using st::shape;

namespace {

struct moments {
  double mean = 0, stddev = 0;
};

/// Sample mean and standard deviation of every element, by a plain loop.
template <class Tensor>
moments sample_moments(const Tensor& t) {
  double sum = 0, sum_squares = 0;
  for (st::index i = 0; i < t.size(); ++i) sum += t.data()[i];
  const double mean = sum / double(t.size());
  for (st::index i = 0; i < t.size(); ++i) sum_squares += (t.data()[i] - mean) * (t.data()[i] - mean);
  return {mean, std::sqrt(sum_squares / double(t.size() - 1))};
}

}  // namespace

TEMPLATE_TEST_CASE("tensor: construction from nested braces, rank 1 to 4", "[tensor]", float, double) {
  using T = TestType;

  SECTION("rank 1, static and dyn") {
    const st::tensor<T, shape<3>> a{1, 2, 3};
    REQUIRE(a.dims() == extents<1>{3});
    REQUIRE(a.size() == 3);
    REQUIRE((a(0) == 1 && a(1) == 2 && a(2) == 3));
    const st::tensor<T, shape<dyn>> b{4.5, -1, 0.25, 8};
    REQUIRE(b.dims() == extents<1>{4});
    REQUIRE((b(0) == T(4.5) && b(1) == -1 && b(2) == T(0.25) && b(3) == 8));
  }
  SECTION("rank 2: row-major, outermost first") {
    const st::tensor<T, shape<2, 3>> a{{1, 2, 3}, {4, 5, 6}};
    REQUIRE(a.dims() == extents<2>{2, 3});
    REQUIRE(a(0, 2) == 3);
    REQUIRE(a(1, 0) == 4);
    for (int i = 0; i < 6; ++i) REQUIRE(a.data()[i] == T(i + 1));
    const st::tensor<T, shape<dyn, dyn>> b{{1, 2}, {3, 4}, {5, 6}};
    REQUIRE(b.dims() == extents<2>{3, 2});
    REQUIRE(b(2, 1) == 6);
    const st::tensor<T, shape<dyn, 2>> c{{7, 8}};
    REQUIRE(c.dims() == extents<2>{1, 2});
    REQUIRE(c(0, 1) == 8);
  }
  SECTION("rank 3") {
    const st::tensor<T, shape<2, 2, 2>> a{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}};
    REQUIRE(a.dims() == extents<3>{2, 2, 2});
    REQUIRE(a(0, 1, 0) == 3);
    REQUIRE(a(1, 0, 1) == 6);
    REQUIRE(a(1, 1, 1) == 8);
    const st::tensor<T, shape<dyn, 3, dyn>> b{{{1}, {2}, {3}}};
    REQUIRE(b.dims() == extents<3>{1, 3, 1});
    REQUIRE(b(0, 2, 0) == 3);
  }
  SECTION("rank 4, mixed static and dyn extents") {
    const st::tensor<T, shape<dyn, 1, 2, dyn>> a{{{{1, 2, 3}, {4, 5, 6}}}, {{{7, 8, 9}, {10, 11, 12}}}};
    REQUIRE(a.dims() == extents<4>{2, 1, 2, 3});
    int expected = 1;
    for (int i = 0; i < 2; ++i)
      for (int k = 0; k < 2; ++k)
        for (int l = 0; l < 3; ++l) REQUIRE(a(i, 0, k, l) == T(expected++));
  }
  SECTION("default construction: zeros, dyn extents 0") {
    const st::tensor<T, shape<2, 3>> a;
    REQUIRE(a.dims() == extents<2>{2, 3});
    for (T v : a) REQUIRE(v == 0);
    const st::tensor<T, shape<dyn, 3>> b;
    REQUIRE(b.dims() == extents<2>{0, 3});
    REQUIRE(b.size() == 0);
    const st::tensor<T, shape<>> c;
    REQUIRE(c.size() == 1);
    REQUIRE(c() == 0);
  }
  SECTION("from extents: zeros, static extents checked") {
    const st::tensor<T, shape<dyn, 4>> a(extents<2>{8, 4});
    REQUIRE(a.dims() == extents<2>{8, 4});
    REQUIRE(a.size() == 32);
    for (T v : a) REQUIRE(v == 0);
    using X = st::tensor<T, shape<dyn, 4>>;
    REQUIRE_THROWS_AS(X(extents<2>{8, 5}), st::shape_error);
    REQUIRE_THROWS_WITH(X(extents<2>{8, 5}), Catch::Contains("(None, 4)") && Catch::Contains("(8, 5)"));
    REQUIRE_THROWS_WITH(X(extents<2>{-2, 4}), Catch::Contains("(None, 4)") && Catch::Contains("(-2, 4)"));
  }
}

TEST_CASE("tensor: ragged braces and static extent mismatches throw shape_error", "[tensor][errors]") {
  using dd = st::tensor<double, shape<dyn, dyn>>;
  using std::initializer_list;

  SECTION("ragged rows") {
    REQUIRE_THROWS_AS(dd({{1, 2}, {3}}), st::shape_error);
    REQUIRE_THROWS_AS(dd({{1}, {2, 3}}), st::shape_error);
    REQUIRE_THROWS_AS(dd({{1, 2}, {}}), st::shape_error);
    REQUIRE_THROWS_WITH(dd({{1, 2}, {3}}), Catch::Contains("ragged") && Catch::Contains("(2, 2)"));
    using static_rows = st::tensor<double, shape<2, dyn>>;
    REQUIRE_THROWS_AS(static_rows({{1, 2}, {3}}), st::shape_error);
  }
  SECTION("ragged deep inside a rank-3 list") {
    using cube = st::tensor<double, shape<dyn, dyn, dyn>>;
    REQUIRE_THROWS_AS(cube({{{1, 2}, {3, 4}}, {{5, 6}, {7}}}), st::shape_error);
    REQUIRE_THROWS_AS(cube({{{1, 2}, {3, 4}}, {{5, 6}}}), st::shape_error);
    REQUIRE_NOTHROW(cube({{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}}));
  }
  SECTION("a static extent the list does not have: both shapes named") {
    using matrix = st::tensor<double, shape<2, 3>>;
    REQUIRE_THROWS_AS(matrix({{1, 2}, {3, 4}}), st::shape_error);
    REQUIRE_THROWS_WITH(matrix({{1, 2}, {3, 4}}), Catch::Contains("(2, 3)") && Catch::Contains("(2, 2)"));
    REQUIRE_THROWS_WITH(matrix({{1, 2, 3}}), Catch::Contains("(2, 3)") && Catch::Contains("(1, 3)"));
    using vector = st::tensor<double, shape<3>>;
    REQUIRE_THROWS_WITH(vector({1, 2}), Catch::Contains("(3,)") && Catch::Contains("(2,)"));
    using batch = st::tensor<double, shape<dyn, 2>>;
    REQUIRE_THROWS_WITH(batch({{1, 2, 3}, {4, 5, 6}}), Catch::Contains("(None, 2)") && Catch::Contains("(2, 3)"));
    // Empty rows: their extent is 0, not the static 3.
    REQUIRE_THROWS_WITH((st::tensor<double, shape<dyn, 3>>({{}, {}})),
                        Catch::Contains("(None, 3)") && Catch::Contains("(2, 0)"));
  }
  SECTION("an empty outer list keeps the static inner extents") {
    const st::tensor<double, shape<dyn, 3>> empty(initializer_list<initializer_list<double>>{});
    REQUIRE(empty.dims() == extents<2>{0, 3});
    REQUIRE(empty.size() == 0);
  }
}

TEMPLATE_TEST_CASE("tensor: zeros, ones and full", "[tensor]", float, double) {
  using T = TestType;
  using X = st::tensor<T, shape<dyn, 3>>;
  const X z = X::zeros({4, 3});
  REQUIRE(z.dims() == extents<2>{4, 3});
  for (T v : z) REQUIRE(v == 0);
  const X o = X::ones({2, 3});
  REQUIRE(o.dims() == extents<2>{2, 3});
  for (T v : o) REQUIRE(v == 1);
  const X f = X::full({5, 3}, T(-2.5));
  REQUIRE(f.size() == 15);
  for (T v : f) REQUIRE(v == T(-2.5));

  using S = st::tensor<T, shape<2, 2>>;
  REQUIRE(S::ones().dims() == extents<2>{2, 2});
  for (T v : S::ones()) REQUIRE(v == 1);
  REQUIRE(X::zeros().dims() == extents<2>{0, 3});
  REQUIRE_THROWS_WITH(X::full({5, 4}, T(1)), Catch::Contains("(None, 3)") && Catch::Contains("(5, 4)"));
  REQUIRE_THROWS_AS(S::ones({2, 3}), st::shape_error);

  X t = X::zeros({2, 3});
  t.fill(T(7));
  for (T v : t) REQUIRE(v == 7);
}

TEMPLATE_TEST_CASE("tensor: random_normal and random_uniform", "[tensor][random]", float, double) {
  using T = TestType;
  using X = st::tensor<T, shape<dyn, 100>>;

  SECTION("reproducible by seed, different across seeds") {
    const X a = X::random_normal({100, 100}, 1), b = X::random_normal({100, 100}, 1), c = X::random_normal({100, 100}, 2);
    REQUIRE(a.dims() == extents<2>{100, 100});
    REQUIRE(std::equal(a.begin(), a.end(), b.begin(), b.end()));
    st::index same = 0;
    for (st::index i = 0; i < a.size(); ++i) same += a.data()[i] == c.data()[i];
    REQUIRE(same < 10);
    const X u = X::random_uniform({100, 100}, 7), v = X::random_uniform({100, 100}, 7), w = X::random_uniform({100, 100}, 8);
    REQUIRE(std::equal(u.begin(), u.end(), v.begin(), v.end()));
    REQUIRE_FALSE(std::equal(u.begin(), u.end(), w.begin(), w.end()));
  }
  SECTION("normal: mean and standard deviation of 10000 samples") {
    // The mean of 10000 samples has standard error stddev / 100; 5 standard errors is never hit by chance.
    const auto standard = sample_moments(X::random_normal({100, 100}, 3));
    REQUIRE(std::abs(standard.mean) < 0.05);
    REQUIRE(std::abs(standard.stddev - 1) < 0.05);
    const auto shifted = sample_moments(X::random_normal({100, 100}, 4, T(2), T(3)));
    REQUIRE(std::abs(shifted.mean - 2) < 0.15);
    REQUIRE(std::abs(shifted.stddev - 3) < 0.15);
  }
  SECTION("uniform: in [low, high), mean and standard deviation of 10000 samples") {
    const X u = X::random_uniform({100, 100}, 5, T(-2), T(4));
    for (T x : u) REQUIRE((x >= -2 && x < 4));
    const auto m = sample_moments(u);
    REQUIRE(std::abs(m.mean - 1) < 0.1);                       // (low + high) / 2
    REQUIRE(std::abs(m.stddev - 6 / std::sqrt(12.0)) < 0.05);  // (high - low) / sqrt(12)
    const auto standard = sample_moments(X::random_uniform({100, 100}, 6));  // [-1, 1) by default
    REQUIRE(std::abs(standard.mean) < 0.03);
    REQUIRE(std::abs(standard.stddev - 2 / std::sqrt(12.0)) < 0.02);
  }
  SECTION("static extents are checked") {
    REQUIRE_THROWS_AS(X::random_normal({10, 99}, 1), st::shape_error);
    REQUIRE_THROWS_AS(X::random_uniform({10, 99}, 1), st::shape_error);
  }
}

TEST_CASE("tensor: element access and at()", "[tensor]") {
  st::tensor<double, shape<2, 3>> a{{1, 2, 3}, {4, 5, 6}};
  a(1, 2) = 60;
  a(0, 1) += 10;
  REQUIRE(a.data()[5] == 60);  // row-major: (1, 2) is element 1 * 3 + 2
  REQUIRE(a.data()[1] == 12);
  REQUIRE(a.at(1, 2) == 60);
  a.at(1, 0) = -4;
  REQUIRE(a(1, 0) == -4);
  const auto& c = a;
  REQUIRE(c.at(0, 0) == 1);
  REQUIRE(c(0, 2) == 3);
  REQUIRE(a.dim(0) == 2);
  REQUIRE(a.dim(-1) == 3);

  REQUIRE_THROWS_AS(a.at(2, 0), std::out_of_range);
  REQUIRE_THROWS_AS(a.at(0, -1), std::out_of_range);
  REQUIRE_THROWS_AS(c.at(0, 3), std::out_of_range);
  REQUIRE_THROWS_WITH(a.at(2, 0), Catch::Contains("(2, 0)") && Catch::Contains("(2, 3)"));
  REQUIRE_THROWS_WITH(c.at(1, 7), Catch::Contains("(1, 7)") && Catch::Contains("(2, 3)"));

  st::tensor<float, shape<dyn>> v{1, 2, 3};
  REQUIRE(v.at(2) == 3);
  REQUIRE_THROWS_WITH(v.at(3), Catch::Contains("(3,)") && Catch::Contains("index"));

  st::tensor<double, shape<dyn, 2, 2>> cube{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}, {{9, 10}, {11, 12}}};
  REQUIRE(cube.at(2, 1, 0) == 11);
  REQUIRE(cube(1, 0, 1) == 6);
  REQUIRE_THROWS_WITH(cube.at(3, 0, 0), Catch::Contains("(3, 0, 0)") && Catch::Contains("(3, 2, 2)"));
}

TEST_CASE("tensor: resize keeps the storage when the element count is unchanged", "[tensor]") {
  using X = st::tensor<double, shape<dyn, dyn>>;
  X t = X::zeros({4, 6});
  const double* before = t.data();
  t.resize({6, 4});
  REQUIRE(t.dims() == extents<2>{6, 4});
  REQUIRE(t.data() == before);
  t.resize({24, 1});
  REQUIRE(t.data() == before);
  REQUIRE(t.size() == 24);
  t.resize({5, 5});
  REQUIRE(t.dims() == extents<2>{5, 5});
  REQUIRE(t.size() == 25);
  REQUIRE_THROWS_AS(t.resize({-1, 5}), st::shape_error);

  using B = st::tensor<double, shape<dyn, 4>>;
  B b = B::zeros({2, 4});
  const double* b_before = b.data();
  b.resize({2, 4});
  REQUIRE(b.data() == b_before);
  b.resize({3, 4});
  REQUIRE(b.dims() == extents<2>{3, 4});
  REQUIRE(b.size() == 12);
  REQUIRE_THROWS_WITH(b.resize({3, 5}), Catch::Contains("(None, 4)") && Catch::Contains("(3, 5)"));
}

TEST_CASE("tensor: flat, canvas and matrix views", "[tensor][views]") {
  // Elements 0..23 in row-major order over (2, 3, 4).
  st::tensor<double, shape<2, 3, 4>> t;
  for (int i = 0; i < 24; ++i) t.data()[i] = i;
  REQUIRE(t(1, 2, 3) == 23);
  REQUIRE(t(1, 0, 2) == 14);

  SECTION("flat: every element in row-major order") {
    const auto flat = t.flat();
    REQUIRE(flat.size() == 24);
    for (int i = 0; i < 24; ++i) REQUIRE(flat(i) == i);
  }
  SECTION("canvas: column-major (last extent) x (product of the others)") {
    const auto canvas = t.canvas();
    REQUIRE(canvas.rows() == 4);
    REQUIRE(canvas.cols() == 6);
    REQUIRE(t.canvas_rows() == 4);
    REQUIRE(t.canvas_cols() == 6);
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 6; ++c) REQUIRE(canvas(r, c) == c * 4 + r);
    // Column c is the innermost row (i, j) with c = i * 3 + j.
    REQUIRE(canvas(3, 5) == t(1, 2, 3));
    REQUIRE(canvas(2, 4) == t(1, 1, 2));
    t.canvas()(1, 3) = -1;  // element (1, 0, 1)
    REQUIRE(t(1, 0, 1) == -1);
  }
  SECTION("matrix: row-major (product of leading extents) x (last extent)") {
    const auto& ct = t;
    const auto matrix = ct.matrix();
    REQUIRE(matrix.rows() == 6);
    REQUIRE(matrix.cols() == 4);
    for (int r = 0; r < 6; ++r)
      for (int c = 0; c < 4; ++c) REQUIRE(matrix(r, c) == r * 4 + c);
    t.matrix()(5, 0) = -7;  // element (1, 2, 0)
    REQUIRE(t(1, 2, 0) == -7);
  }
  SECTION("rank 0, rank 1 and a zero last extent") {
    auto scalar = st::tensor<double, shape<>>::full({}, 2.5);
    REQUIRE(scalar.canvas().rows() == 1);
    REQUIRE(scalar.canvas().cols() == 1);
    REQUIRE(scalar.canvas()(0, 0) == 2.5);
    st::tensor<float, shape<5>> v{1, 2, 3, 4, 5};
    REQUIRE(v.canvas().rows() == 5);
    REQUIRE(v.canvas().cols() == 1);
    REQUIRE(v.matrix().rows() == 1);
    REQUIRE(v.matrix().cols() == 5);
    REQUIRE(v.matrix()(0, 3) == 4);
    // (3, 0): the canvas is 0 x 3 (what expressions compute with canvas_of), the matrix 3 x 0.
    const st::tensor<double, shape<3, 0>> empty;
    REQUIRE(empty.size() == 0);
    REQUIRE(empty.canvas().rows() == 0);
    REQUIRE(empty.canvas().cols() == 3);
    REQUIRE(empty.matrix().rows() == 3);
    REQUIRE(empty.matrix().cols() == 0);
  }
}

TEST_CASE("tensor: allclose", "[tensor][allclose]") {
  using V = st::tensor<double, shape<3>>;
  const V a{1, 2, 3};
  REQUIRE(st::allclose(a, a));
  REQUIRE(st::allclose(a, V{1, 2, 3 + 1e-6}));        // within the default rtol 1e-5 · 3
  REQUIRE_FALSE(st::allclose(a, V{1, 2, 3 + 1e-4}));  // outside it
  REQUIRE(st::allclose(a, V{1, 2, 3.1}, 0.05));       // |diff| 0.1 <= 0.05 · 3.1
  REQUIRE_FALSE(st::allclose(a, V{1, 2, 3.2}, 0.05));  // 0.2 > 0.05 · 3.2
  REQUIRE(st::allclose(V{0, 0, 0}, V{0, 0, 1e-9}));  // the default atol 1e-8
  REQUIRE_FALSE(st::allclose(V{0, 0, 0}, V{0, 0, 1e-7}));
  REQUIRE(st::allclose(V{0, 0, 0}, V{0, 0, 1e-7}, 0, 1e-6));
  REQUIRE_FALSE(st::allclose(a, V{1, 2, 3.5}, 0, 0.4));
  REQUIRE(st::allclose(a, V{1, 2, 3.5}, 0, 0.6));
  // rtol scales |b| (the second argument), as in numpy: not symmetric.
  REQUIRE(st::allclose(V{0, 0, 1}, V{0, 0, 2}, 0.5, 0));
  REQUIRE_FALSE(st::allclose(V{0, 0, 2}, V{0, 0, 1}, 0.5, 0));

  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  REQUIRE_FALSE(st::allclose(V{1, nan, 3}, a));
  REQUIRE_FALSE(st::allclose(a, V{1, nan, 3}));
  REQUIRE_FALSE(st::allclose(V{1, nan, 3}, V{1, nan, 3}));  // NaN is never close, not even to NaN
  REQUIRE_FALSE(st::allclose(V{1, nan, 3}, V{1, nan, 3}, 1e10, 1e10));
  REQUIRE(st::allclose(V{1, inf, -inf}, V{1, inf, -inf}));  // as numpy: equal infinities are close
  REQUIRE_FALSE(st::allclose(V{1, inf, 3}, V{1, -inf, 3}));
  REQUIRE_FALSE(st::allclose(V{1, inf, 3}, a, 1e10, 1e10));
  REQUIRE_FALSE(st::allclose(a, V{1, inf, 3}));  // |2 - inf| <= rtol · inf must not make them close
  REQUIRE_FALSE(st::allclose(a, V{1, -inf, 3}, 1e10, 1e10));

  using D = st::tensor<double, shape<dyn>>;
  REQUIRE(st::allclose(a, D{1, 2, 3}));  // static and dyn shapes with equal extents
  REQUIRE_FALSE(st::allclose(a, D{1, 2}));
  REQUIRE_FALSE(st::allclose(D{1, 2, 3, 4}, a));
  using M = st::tensor<double, shape<dyn, dyn>>;
  REQUIRE_FALSE(st::allclose(M{{1, 2, 3}}, M{{1}, {2}, {3}}));  // same elements, other extents
  REQUIRE_FALSE(st::allclose(a, M{{1, 2, 3}}));                  // other rank

  using F = st::tensor<float, shape<2>>;
  REQUIRE(st::allclose(F{1.0f, 2.0f}, F{1.0f, 2.00001f}));
  REQUIRE_FALSE(st::allclose(F{1.0f, 2.0f}, F{1.0f, 2.001f}));
}

TEST_CASE("tensor: item() of a one-element tensor", "[tensor]") {
  REQUIRE(st::tensor<double, shape<>>::full({}, 4.25).item() == 4.25);
  REQUIRE(st::tensor<float, shape<1, 1>>{{-3}}.item() == -3.0f);
  REQUIRE(st::tensor<double, shape<dyn>>{7}.item() == 7);
  REQUIRE_THROWS_AS((st::tensor<double, shape<2>>{1, 2}.item()), st::shape_error);
  REQUIRE_THROWS_WITH((st::tensor<double, shape<dyn, 3>>{{1, 2, 3}, {4, 5, 6}}.item()), Catch::Contains("(2, 3)"));
  REQUIRE_THROWS_WITH((st::tensor<double, shape<dyn>>().item()), Catch::Contains("(0,)"));
}

TEST_CASE("tensor: extents whose element count overflows are refused", "[tensor][errors]") {
  using big = strata::tensor<double, strata::shape<strata::dyn, strata::dyn>>;
  const strata::index huge = strata::index(1) << 32;
  REQUIRE_THROWS_WITH(big(strata::extents<2>{huge, huge}), Catch::Contains("(4294967296, 4294967296)"));
  big small(strata::extents<2>{2, 2});
  REQUIRE_THROWS_AS(small.resize({huge, huge}), strata::shape_error);
  REQUIRE(small.dims() == strata::extents<2>{2, 2});  // unchanged
  REQUIRE(small.size() == 4);
}

TEST_CASE("tensor: dim() checks its axis", "[tensor][errors]") {
  strata::tensor<double, strata::shape<2, 3>> t;
  REQUIRE(t.dim(-1) == 3);
  REQUIRE(t.dim(0) == 2);
  REQUIRE_THROWS_AS(t.dim(2), std::out_of_range);
  REQUIRE_THROWS_WITH(t.dim(-3), Catch::Contains("axis -3") && Catch::Contains("rank 2"));
}

TEST_CASE("tensor: a moved-from tensor is a default-constructed one", "[tensor]") {
  strata::tensor<double, strata::shape<2, 3>> a = strata::tensor<double, strata::shape<2, 3>>::ones();
  auto b = std::move(a);
  REQUIRE(b(1, 2) == 1.0);
  REQUIRE(a.size() == 6);  // NOLINT(bugprone-use-after-move): the state after a move is specified
  REQUIRE(a.at(1, 2) == 0.0);
  strata::tensor<double, strata::shape<strata::dyn>> c{1.0, 2.0};
  strata::tensor<double, strata::shape<strata::dyn>> d;
  d = std::move(c);
  REQUIRE(d.size() == 2);
  REQUIRE(c.size() == 0);  // NOLINT(bugprone-use-after-move)
  REQUIRE(c.dims() == strata::extents<1>{0});
}

TEMPLATE_TEST_CASE("tensor: integer tensors store indices and labels", "[tensor][int]", std::int32_t, std::int64_t) {
  using T = TestType;
  static_assert(st::element<T> && !st::scalar<T>);
  static_assert(!st::element<int16_t> && !st::element<unsigned> && !st::element<long double>);
  // storage only: integer tensors are not expression operands, and have no random factories
  static_assert(!st::node_operand<st::tensor<T, shape<2>>> && !st::node_operand<st::tensor<T, shape<2>>&>);
  static_assert(!requires { st::tensor<T, shape<2>>::random_normal({2}, 1); });
  static_assert(!requires { st::tensor<T, shape<2>>::random_uniform({2}, 1); });
  static_assert(requires { st::tensor<double, shape<2>>::random_uniform({2}, 1); });

  SECTION("nested braces, element access and at()") {
    st::tensor<T, shape<dyn, 3>> a{{3, 1, 4}, {1, 5, 9}};
    REQUIRE(a.dims() == extents<2>{2, 3});
    REQUIRE((a(0, 2) == 4 && a(1, 0) == 1 && a(1, 2) == 9));
    for (int i = 0; i < 6; ++i) REQUIRE(a.data()[i] == std::vector<T>{3, 1, 4, 1, 5, 9}[std::size_t(i)]);
    a(1, 1) = -7;
    a.at(0, 0) += 2;
    REQUIRE(a.data()[4] == -7);
    REQUIRE(a(0, 0) == 5);
    REQUIRE_THROWS_WITH(a.at(2, 0), Catch::Contains("(2, 0)") && Catch::Contains("(2, 3)"));
    REQUIRE_THROWS_WITH((st::tensor<T, shape<dyn, 3>>{{1, 2}}),
                        Catch::Contains("(None, 3)") && Catch::Contains("(1, 2)"));
    REQUIRE_THROWS_AS((st::tensor<T, shape<dyn, dyn>>{{1, 2}, {3}}), st::shape_error);

    const st::tensor<T, shape<2, 2, 2>> cube{{{0, 1}, {2, 3}}, {{4, 5}, {6, 7}}};
    for (int i = 0; i < 8; ++i) REQUIRE(cube.data()[i] == i);
    REQUIRE(cube(1, 0, 1) == 5);
    const st::tensor<T, shape<dyn>> v{2, 7, 1, 8};
    REQUIRE(v.size() == 4);
    REQUIRE(v(3) == 8);
  }
  SECTION("zeros, ones, full, fill and item()") {
    using X = st::tensor<T, shape<dyn, 2>>;
    for (T v : X::zeros({3, 2})) REQUIRE(v == 0);
    for (T v : X::ones({3, 2})) REQUIRE(v == 1);
    const X f = X::full({2, 2}, T(-3));
    for (T v : f) REQUIRE(v == -3);
    X t(extents<2>{2, 2});
    t.fill(T(11));
    for (T v : t) REQUIRE(v == 11);
    REQUIRE(st::tensor<T, shape<>>::full({}, T(42)).item() == 42);
    REQUIRE(st::tensor<T, shape<1, 1>>{{-5}}.item() == -5);
    REQUIRE_THROWS_WITH(f.item(), Catch::Contains("(2, 2)"));
  }
  SECTION("the extremes of the type are stored exactly") {
    const T low = std::numeric_limits<T>::min(), high = std::numeric_limits<T>::max();
    st::tensor<T, shape<3>> a{low, 0, high};
    REQUIRE(a(0) == low);
    REQUIRE(a(2) == high);
    REQUIRE(a.flat().maxCoeff() == high);
  }
  SECTION("flat and canvas views, resize, copy and move") {
    st::tensor<T, shape<dyn, 3>> a{{1, 2, 3}, {4, 5, 6}};
    REQUIRE(a.flat().sum() == 21);
    REQUIRE(a.flat()(4) == 5);
    a.flat() *= 2;
    REQUIRE(a(1, 2) == 12);
    REQUIRE(a.canvas().rows() == 3);
    REQUIRE(a.canvas().cols() == 2);
    REQUIRE(a.canvas()(0, 1) == 8);
    const auto copy = a;
    auto moved = std::move(a);
    REQUIRE(moved(1, 1) == 10);
    REQUIRE(copy(1, 1) == 10);
    moved.resize({3, 3});
    REQUIRE(moved.size() == 9);
  }
}
