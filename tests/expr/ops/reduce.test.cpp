// Reductions: sum, mean and max over every element and along one axis, with and without keepdims.

#include <cmath>
#include <limits>
#include <span>
#include <type_traits>
#include <vector>

#include "support/strata_test.hpp"

namespace st = strata;
using st::dyn;
using idx = st::index;

namespace {

enum class kind { sum, mean, max };

/// Reduces the row-major `values` of extents `dims` along `axis` with a plain loop; the result is in
/// row-major order of the remaining axes (the same order with or without keepdims).
std::vector<double> reduce_by_loop(std::span<const double> values, std::span<const idx> dims, int axis, kind k) {
  idx outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= dims[std::size_t(i)];
  for (std::size_t i = std::size_t(axis) + 1; i < dims.size(); ++i) inner *= dims[i];
  const idx mid = dims[std::size_t(axis)];
  std::vector<double> out(std::size_t(outer * inner));
  for (idx o = 0; o < outer; ++o) {
    for (idx q = 0; q < inner; ++q) {
      double total = 0, peak = -std::numeric_limits<double>::infinity();
      for (idx m = 0; m < mid; ++m) {
        const double v = values[std::size_t((o * mid + m) * inner + q)];
        total += v;
        peak = v > peak ? v : peak;
      }
      out[std::size_t(o * inner + q)] = k == kind::sum ? total : k == kind::mean ? total / double(mid) : peak;
    }
  }
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

/// Checks sum, mean and max along `Axis` of `x`, with and without keepdims, against the loop.
template <int Axis, class X>
void require_axis_reductions(const X& x) {
  using in = typename X::shape_type;
  constexpr int axis = st::normalize_axis(Axis, in::rank);
  const std::span<const double> values(x.data(), std::size_t(x.size()));
  const std::span<const idx> dims(x.dims());
  auto expected_dims = [&](bool keep) {
    std::vector<idx> out;
    for (int i = 0; i < int(in::rank); ++i)
      if (i != axis || keep) out.push_back(i == axis ? 1 : x.dims()[std::size_t(i)]);
    return out;
  };
  auto require_dims = [](const auto& t, const std::vector<idx>& d) {
    REQUIRE(std::vector<idx>(t.dims().begin(), t.dims().end()) == d);
  };
  {
    INFO("axis " << Axis << " sum");
    const auto s = st::eval(st::sum(x, st::axis<Axis>));
    const auto sk = st::eval(st::sum(x, st::axis<Axis>, st::keepdims));
    require_dims(s, expected_dims(false));
    require_dims(sk, expected_dims(true));
    require_values(s, reduce_by_loop(values, dims, axis, kind::sum));
    require_values(sk, reduce_by_loop(values, dims, axis, kind::sum));
  }
  {
    INFO("axis " << Axis << " mean");
    const auto s = st::eval(st::mean(x, st::axis<Axis>));
    const auto sk = st::eval(st::mean(x, st::axis<Axis>, st::keepdims));
    require_dims(s, expected_dims(false));
    require_dims(sk, expected_dims(true));
    require_values(s, reduce_by_loop(values, dims, axis, kind::mean));
    require_values(sk, reduce_by_loop(values, dims, axis, kind::mean));
  }
  {
    INFO("axis " << Axis << " max");
    const auto s = st::eval(st::max(x, st::axis<Axis>));
    const auto sk = st::eval(st::max(x, st::axis<Axis>, st::keepdims));
    require_dims(s, expected_dims(false));
    require_dims(sk, expected_dims(true));
    require_values(s, reduce_by_loop(values, dims, axis, kind::max));
    require_values(sk, reduce_by_loop(values, dims, axis, kind::max));
  }
}

/// Gradient checks of sum, mean and max along `Axis`, without or with keepdims.
template <int Axis, bool KeepDims, class X>
void require_axis_gradients(X& x) {
  INFO("axis " << Axis << (KeepDims ? ", keepdims" : ""));
  auto reduced = [&](auto reduction) {
    if constexpr (KeepDims) {
      return st::project(reduction(x, st::axis<Axis>, st::keepdims));
    } else {
      return st::project(reduction(x, st::axis<Axis>));
    }
  };
  STRATA_REQUIRE_GRADIENTS(st::gradcheck(reduced([](auto&... a) { return st::sum(a...); }), st::named("x", x)));
  STRATA_REQUIRE_GRADIENTS(st::gradcheck(reduced([](auto&... a) { return st::mean(a...); }), st::named("x", x)));
  STRATA_REQUIRE_GRADIENTS(st::gradcheck(reduced([](auto&... a) { return st::max(a...); }), st::named("x", x)));
}

}  // namespace

TEST_CASE("sum, mean and max over every element give a scalar", "[reduce]") {
  st::tensor<double, st::shape<2, 3>> a{{1, -2, 3}, {4, 5, -6}};
  static_assert(std::is_same_v<decltype(st::sum(a))::shape_type, st::shape<>>);
  static_assert(std::is_same_v<decltype(st::max(a))::shape_type, st::shape<>>);
  CHECK(st::eval(st::sum(a)).item() == Approx(5.0));
  CHECK(st::eval(st::mean(a)).item() == Approx(5.0 / 6.0));
  CHECK(st::eval(st::max(a)).item() == Approx(5.0));

  using D = st::tensor<double, st::shape<dyn, dyn>>;
  D d{{-1.5, -0.5}, {-4, -2}, {-3, -7}};
  static_assert(std::is_same_v<decltype(st::mean(d))::shape_type, st::shape<>>);
  CHECK(st::eval(st::sum(d)).item() == Approx(-18.0));
  CHECK(st::eval(st::mean(d)).item() == Approx(-3.0));
  CHECK(st::eval(st::max(d)).item() == Approx(-0.5));  // all negative: max is not clamped at 0
}

TEST_CASE("reductions of a rank-1 tensor along its axis", "[reduce]") {
  st::tensor<double, st::shape<4>> v{1, 4, -2, 3};
  static_assert(std::is_same_v<decltype(st::sum(v, st::axis<0>))::shape_type, st::shape<>>);
  static_assert(std::is_same_v<decltype(st::sum(v, st::axis<-1>, st::keepdims))::shape_type, st::shape<1>>);
  CHECK(st::eval(st::sum(v, st::axis<0>)).item() == Approx(6.0));
  CHECK(st::eval(st::sum(v, st::axis<-1>, st::keepdims)).item() == Approx(6.0));
  CHECK(st::eval(st::mean(v, st::axis<0>)).item() == Approx(1.5));
  CHECK(st::eval(st::mean(v, st::axis<-1>, st::keepdims)).item() == Approx(1.5));
  CHECK(st::eval(st::max(v, st::axis<0>)).item() == Approx(4.0));
  CHECK(st::eval(st::max(v, st::axis<-1>, st::keepdims)).item() == Approx(4.0));

  st::tensor<double, st::shape<dyn>> d{2, -6, 1};
  static_assert(std::is_same_v<decltype(st::mean(d, st::axis<0>, st::keepdims))::shape_type, st::shape<1>>);
  CHECK(st::eval(st::sum(d, st::axis<0>)).item() == Approx(-3.0));
  CHECK(st::eval(st::mean(d, st::axis<-1>, st::keepdims)).item() == Approx(-1.0));
  CHECK(st::eval(st::max(d, st::axis<0>)).item() == Approx(2.0));
}

TEST_CASE("reductions of a rank-2 tensor along each axis", "[reduce]") {
  st::tensor<double, st::shape<2, 3>> a{{1, -2, 3}, {4, 5, -6}};
  static_assert(std::is_same_v<decltype(st::sum(a, st::axis<0>))::shape_type, st::shape<3>>);
  static_assert(std::is_same_v<decltype(st::sum(a, st::axis<1>))::shape_type, st::shape<2>>);
  static_assert(std::is_same_v<decltype(st::sum(a, st::axis<0>, st::keepdims))::shape_type, st::shape<1, 3>>);
  static_assert(std::is_same_v<decltype(st::mean(a, st::axis<-1>, st::keepdims))::shape_type, st::shape<2, 1>>);
  static_assert(std::is_same_v<decltype(st::max(a, st::axis<-2>))::shape_type, st::shape<3>>);

  require_values(st::eval(st::sum(a, st::axis<0>)), {5, 3, -3});
  require_values(st::eval(st::sum(a, st::axis<-2>, st::keepdims)), {5, 3, -3});
  require_values(st::eval(st::sum(a, st::axis<1>)), {2, 3});
  require_values(st::eval(st::sum(a, st::axis<-1>, st::keepdims)), {2, 3});
  require_values(st::eval(st::mean(a, st::axis<0>)), {2.5, 1.5, -1.5});
  require_values(st::eval(st::mean(a, st::axis<1>, st::keepdims)), {2.0 / 3.0, 1.0});
  require_values(st::eval(st::max(a, st::axis<0>)), {4, 5, 3});
  require_values(st::eval(st::max(a, st::axis<-1>)), {3, 5});
  require_values(st::eval(st::max(a, st::axis<1>, st::keepdims)), {3, 5});

  using D = st::tensor<double, st::shape<dyn, 3>>;
  static_assert(std::is_same_v<decltype(st::sum(std::declval<D&>(), st::axis<0>))::shape_type, st::shape<3>>);
  static_assert(std::is_same_v<decltype(st::sum(std::declval<D&>(), st::axis<1>))::shape_type, st::shape<dyn>>);
  static_assert(
      std::is_same_v<decltype(st::max(std::declval<D&>(), st::axis<1>, st::keepdims))::shape_type, st::shape<dyn, 1>>);
  const D d{{1, -2, 3}, {4, 5, -6}, {0, 1, 2}, {-1, -1, 7}};
  require_values(st::eval(st::sum(d, st::axis<0>)), {4, 3, 6});
  require_values(st::eval(st::mean(d, st::axis<1>)), {2.0 / 3.0, 1, 1, 5.0 / 3.0});
  require_values(st::eval(st::max(d, st::axis<-1>, st::keepdims)), {3, 5, 2, 7});
  require_values(st::eval(st::max(d, st::axis<0>, st::keepdims)), {4, 5, 7});
}

TEST_CASE("reductions of rank-3 tensors along every axis match a plain loop", "[reduce]") {
  using S = st::tensor<double, st::shape<2, 3, 4>>;
  static_assert(std::is_same_v<decltype(st::sum(std::declval<S&>(), st::axis<1>))::shape_type, st::shape<2, 4>>);
  static_assert(
      std::is_same_v<decltype(st::sum(std::declval<S&>(), st::axis<1>, st::keepdims))::shape_type, st::shape<2, 1, 4>>);
  static_assert(std::is_same_v<decltype(st::mean(std::declval<S&>(), st::axis<0>))::shape_type, st::shape<3, 4>>);
  static_assert(std::is_same_v<decltype(st::max(std::declval<S&>(), st::axis<-1>))::shape_type, st::shape<2, 3>>);
  static_assert(
      std::is_same_v<decltype(st::max(std::declval<S&>(), st::axis<-3>, st::keepdims))::shape_type, st::shape<1, 3, 4>>);

  const S s = S::random_uniform({2, 3, 4}, 11, -2, 2);
  require_axis_reductions<0>(s);
  require_axis_reductions<1>(s);
  require_axis_reductions<-1>(s);
  require_axis_reductions<-2>(s);

  using D = st::tensor<double, st::shape<dyn, 3, dyn>>;
  static_assert(std::is_same_v<decltype(st::sum(std::declval<D&>(), st::axis<0>))::shape_type, st::shape<3, dyn>>);
  static_assert(std::is_same_v<decltype(st::mean(std::declval<D&>(), st::axis<1>, st::keepdims))::shape_type,
                               st::shape<dyn, 1, dyn>>);
  const D d = D::random_uniform({3, 3, 5}, 12, -2, 2);
  require_axis_reductions<0>(d);
  require_axis_reductions<1>(d);
  require_axis_reductions<2>(d);

  // rank 4, a middle axis with axes on both sides
  using R4 = st::tensor<double, st::shape<2, dyn, 3, 2>>;
  const R4 r = R4::random_uniform({2, 4, 3, 2}, 13, -2, 2);
  require_axis_reductions<1>(r);
  require_axis_reductions<2>(r);
}

TEST_CASE("reductions along every axis pass gradient checks", "[reduce][gradcheck]") {
  SECTION("static shape") {
    auto x = st::testing::uniform<2, 3, 4>({2, 3, 4}, 21);
    require_axis_gradients<0, false>(x);
    require_axis_gradients<1, true>(x);
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(3.0 * st::sum(x), st::named("x", x)));
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(3.0 * st::mean(x), st::named("x", x)));
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(3.0 * st::max(x), st::named("x", x)));
  }
  SECTION("dyn shape") {
    auto x = st::testing::uniform<dyn, 3, dyn>({3, 3, 5}, 22);
    require_axis_gradients<0, true>(x);
    require_axis_gradients<1, false>(x);
    require_axis_gradients<2, true>(x);
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(3.0 * st::mean(x), st::named("x", x)));
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(3.0 * st::max(x), st::named("x", x)));
  }
  SECTION("rank 1 and rank 2") {
    auto v = st::testing::uniform<dyn>({5}, 23);
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::mean(v, st::axis<0>, st::keepdims)), st::named("v", v)));
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::max(v, st::axis<-1>)), st::named("v", v)));
    auto m = st::testing::uniform<4, dyn>({4, 3}, 24);
    require_axis_gradients<0, false>(m);
    require_axis_gradients<-1, false>(m);
  }
  SECTION("rank 4, a middle axis with several axes on both sides") {
    auto r = st::testing::uniform<2, dyn, 3, 2>({2, 4, 3, 2}, 25);
    require_axis_gradients<1, false>(r);
  }
}

TEST_CASE("reductions of lazy expressions, and reductions feeding further ops", "[reduce][gradcheck]") {
  auto x = st::testing::uniform<dyn, 4>({3, 4}, 31);
  auto w = st::testing::uniform<4>({4}, 32, 0.5, 1.5);

  // values of sum(exp(x), axis<0>) against a loop
  const auto column_sums = st::eval(st::sum(st::exp(x), st::axis<0>));
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(column_sums)>::shape_type, st::shape<4>>);
  for (idx j = 0; j < 4; ++j) {
    double total = 0;
    for (idx i = 0; i < 3; ++i) total += std::exp(x(i, j));
    CHECK(column_sums(j) == Approx(total));
  }
  const auto centred = st::eval(x - st::mean(x, st::axis<-1>, st::keepdims));
  for (idx i = 0; i < 3; ++i) {
    double row_mean = 0;
    for (idx j = 0; j < 4; ++j) row_mean += x(i, j) / 4;
    for (idx j = 0; j < 4; ++j) CHECK(centred(i, j) == Approx(x(i, j) - row_mean).margin(1e-12));
  }

  STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::sum(st::exp(x), st::axis<0>)), st::named("x", x)));
  STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::mean(st::tanh(x * w), st::axis<1>, st::keepdims)),
                                         st::named("x", x), st::named("w", w)));
  STRATA_REQUIRE_GRADIENTS(
      st::gradcheck(st::project(st::max(x * w, st::axis<-1>)), st::named("x", x), st::named("w", w)));
  STRATA_REQUIRE_GRADIENTS(
      st::gradcheck(st::project(x - st::mean(x, st::axis<-1>, st::keepdims)), st::named("x", x)));
  auto x3 = st::testing::uniform<dyn, 3, 4>({2, 3, 4}, 33);
  STRATA_REQUIRE_GRADIENTS(
      st::gradcheck(st::project(x3 - st::mean(x3, st::axis<1>, st::keepdims)), st::named("x3", x3)));
  STRATA_REQUIRE_GRADIENTS(
      st::gradcheck(st::project(x3 * st::max(x3, st::axis<0>, st::keepdims)), st::named("x3", x3)));
  STRATA_REQUIRE_GRADIENTS(
      st::gradcheck(st::project(st::exp(x) / st::sum(st::exp(x), st::axis<0>, st::keepdims)), st::named("x", x)));
  // the reduction of a reduction
  STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::sum(st::square(st::max(x * w, st::axis<0>))), st::named("w", w)));
}

namespace {

/// (x - mean) / sqrt(var + eps) along the last axis, written from primitives.
template <class X>
auto layer_norm(X& x, double eps) {
  auto centred = x - st::mean(x, st::axis<-1>, st::keepdims);
  auto var = st::mean(st::square(x - st::mean(x, st::axis<-1>, st::keepdims)), st::axis<-1>, st::keepdims);
  return centred / st::sqrt(var + eps);
}

}  // namespace

TEST_CASE("a LayerNorm written from reductions has the right values and gradients", "[reduce][gradcheck]") {
  constexpr double eps = 1e-3;
  SECTION("static shape") {
    auto x = st::testing::uniform<3, 5>({3, 5}, 41, -2, 2);
    const auto y = st::eval(layer_norm(x, eps));
    for (idx i = 0; i < 3; ++i) {
      double m = 0, v = 0;
      for (idx j = 0; j < 5; ++j) m += x(i, j) / 5;
      for (idx j = 0; j < 5; ++j) v += (x(i, j) - m) * (x(i, j) - m) / 5;
      for (idx j = 0; j < 5; ++j) CHECK(y(i, j) == Approx((x(i, j) - m) / std::sqrt(v + eps)).margin(1e-12));
    }
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(layer_norm(x, eps)), st::named("x", x)));
  }
  SECTION("dyn shape, with a scale and an offset") {
    auto x = st::testing::uniform<dyn, dyn, 4>({2, 3, 4}, 42, -2, 2);
    auto gamma = st::testing::uniform<4>({4}, 43, 0.5, 1.5);
    auto beta = st::testing::uniform<4>({4}, 44);
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(layer_norm(x, eps) * gamma + beta), st::named("x", x),
                                           st::named("gamma", gamma), st::named("beta", beta)));
  }
}

TEST_CASE("the gradient of max goes to the argmax, shared equally between ties", "[reduce]") {
  SECTION("over every element") {
    st::tensor<double, st::shape<3>> x{1, 3, 3};
    auto [value, grads] = st::value_and_grad(4.0 * st::max(x), x);
    CHECK(value == Approx(12.0));
    require_values(std::get<0>(grads), {0, 2, 2});

    st::tensor<double, st::shape<dyn>> d{5, -1, 2};
    require_values(std::get<0>(st::value_and_grad(st::max(d), d).second), {1, 0, 0});
  }
  SECTION("along an axis") {
    st::tensor<double, st::shape<2, 3>> x{{1, 3, 3}, {2, 2, 0}};
    st::tensor<double, st::shape<2>> w{2, 3};
    auto [value, grads] = st::value_and_grad(st::sum(st::max(x, st::axis<1>) * w), x);
    CHECK(value == Approx(2 * 3 + 3 * 2));
    require_values(std::get<0>(grads), {0, 1, 1, 1.5, 1.5, 0});

    st::tensor<double, st::shape<dyn, 3>> d{{1, 4, 0}, {1, -4, 0}, {-1, 4, 0}};
    st::tensor<double, st::shape<3>> v{1, 2, 3};
    require_values(std::get<0>(st::value_and_grad(st::sum(st::max(d, st::axis<0>, st::keepdims) * v), d).second),
                   {0.5, 1, 1, 0.5, 0, 1, 0, 1, 1});
  }
}

TEST_CASE("mean over an empty dyn axis is NaN, sum is 0", "[reduce]") {
  using D2 = st::tensor<double, st::shape<dyn, 3>>;
  const D2 empty_rows(D2::extents_type{0, 3});
  const auto m0 = st::eval(st::mean(empty_rows, st::axis<0>));
  REQUIRE(m0.size() == 3);
  for (double v : m0) CHECK(std::isnan(v));
  CHECK(std::isnan(st::eval(st::mean(empty_rows)).item()));
  CHECK(st::eval(st::sum(empty_rows)).item() == 0.0);
  require_values(st::eval(st::sum(empty_rows, st::axis<0>)), {0, 0, 0});
  CHECK(st::eval(st::mean(empty_rows, st::axis<1>)).size() == 0);  // nothing to reduce into

  using D1 = st::tensor<double, st::shape<2, dyn>>;
  const D1 empty_cols(D1::extents_type{2, 0});
  const auto m1 = st::eval(st::mean(empty_cols, st::axis<-1>, st::keepdims));
  REQUIRE(m1.size() == 2);
  for (double v : m1) CHECK(std::isnan(v));

  using D3 = st::tensor<double, st::shape<dyn, 3, 4>>;
  const D3 empty_batch(D3::extents_type{0, 3, 4});
  const auto m3 = st::eval(st::mean(empty_batch, st::axis<0>));
  REQUIRE(m3.size() == 12);
  for (double v : m3) CHECK(std::isnan(v));

  using D4 = st::tensor<double, st::shape<2, dyn, 3>>;
  const D4 empty_middle(D4::extents_type{2, 0, 3});
  const auto m4 = st::eval(st::mean(empty_middle, st::axis<1>, st::keepdims));
  REQUIRE(m4.size() == 6);
  for (double v : m4) CHECK(std::isnan(v));

  // and the max of nothing is -inf (numpy raises, TensorFlow gives -inf)
  const auto p3 = st::eval(st::max(empty_batch, st::axis<0>, st::keepdims));
  REQUIRE(p3.size() == 12);
  for (double v : p3) CHECK(v == -std::numeric_limits<double>::infinity());
  const auto p1 = st::eval(st::max(empty_cols, st::axis<1>));
  REQUIRE(p1.size() == 2);
  for (double v : p1) CHECK(v == -std::numeric_limits<double>::infinity());
  CHECK(st::eval(st::max(empty_rows)).item() == -std::numeric_limits<double>::infinity());
}
