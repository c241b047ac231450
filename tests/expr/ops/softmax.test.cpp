// softmax and log_softmax along the last axis (the default) and along other axes.

#include <cmath>
#include <span>
#include <type_traits>
#include <vector>

#include "support/strata_test.hpp"

namespace st = strata;
using st::dyn;
using idx = st::index;

namespace {

/// softmax (or log_softmax) of row-major `values` of extents `dims` along `axis`, by a plain loop.
std::vector<double> softmax_by_loop(std::span<const double> values, std::span<const idx> dims, int axis, bool log) {
  idx outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= dims[std::size_t(i)];
  for (std::size_t i = std::size_t(axis) + 1; i < dims.size(); ++i) inner *= dims[i];
  const idx mid = dims[std::size_t(axis)];
  std::vector<double> out(values.size());
  for (idx o = 0; o < outer; ++o) {
    for (idx q = 0; q < inner; ++q) {
      auto at = [&](idx m) { return std::size_t((o * mid + m) * inner + q); };
      double total = 0;
      for (idx m = 0; m < mid; ++m) total += std::exp(values[at(m)]);
      for (idx m = 0; m < mid; ++m)
        out[at(m)] = log ? values[at(m)] - std::log(total) : std::exp(values[at(m)]) / total;
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

/// softmax and log_softmax of `x` along `Axis` against the loop, and softmax's lanes sum to 1.
template <int Axis, class X>
void require_softmax_values(const X& x) {
  INFO("axis " << Axis);
  constexpr int axis = st::normalize_axis(Axis, X::rank);
  const std::span<const double> values(x.data(), std::size_t(x.size()));
  const std::span<const idx> dims(x.dims());
  const auto p = st::eval(st::softmax(x, st::axis<Axis>));
  const auto lp = st::eval(st::log_softmax(x, st::axis<Axis>));
  static_assert(std::is_same_v<typename std::remove_cvref_t<decltype(p)>::shape_type, typename X::shape_type>);
  REQUIRE(p.dims() == x.dims());
  REQUIRE(lp.dims() == x.dims());
  require_values(p, softmax_by_loop(values, dims, axis, false));
  require_values(lp, softmax_by_loop(values, dims, axis, true));

  // the lanes along the axis sum to 1: a plain loop over them
  idx outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= x.dims()[std::size_t(i)];
  for (std::size_t i = std::size_t(axis) + 1; i < X::rank; ++i) inner *= x.dims()[i];
  const idx mid = x.dims()[std::size_t(axis)];
  for (idx o = 0; o < outer; ++o) {
    for (idx q = 0; q < inner; ++q) {
      double total = 0;
      for (idx m = 0; m < mid; ++m) total += p.data()[(o * mid + m) * inner + q];
      CHECK(total == Approx(1.0).margin(1e-12));
    }
  }
}

}  // namespace

TEST_CASE("softmax and log_softmax along the last axis by default", "[softmax]") {
  st::tensor<double, st::shape<2, 3>> x{{1, 2, 3}, {0, 0, 0}};
  const auto p = st::eval(st::softmax(x));
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(p)>::shape_type, st::shape<2, 3>>);
  require_values(p, {0.09003057317038046, 0.24472847105479767, 0.6652409557748219, 1.0 / 3, 1.0 / 3, 1.0 / 3});
  require_values(st::eval(st::log_softmax(x)),
                 {-2.40760596444438, -1.4076059644443801, -0.40760596444438013, -std::log(3.0), -std::log(3.0),
                  -std::log(3.0)});
  // axis<-1> and axis<1> are the default
  require_values(st::eval(st::softmax(x, st::axis<1>)),
                 {0.09003057317038046, 0.24472847105479767, 0.6652409557748219, 1.0 / 3, 1.0 / 3, 1.0 / 3});

  st::tensor<double, st::shape<dyn>> v{-1, 0.5};
  require_values(st::eval(st::softmax(v)), {0.18242552380635635, 0.8175744761936437});
  require_values(st::eval(st::log_softmax(v, st::axis<0>)), {-1.7014132779827524, -0.20141327798275244});
}

TEST_CASE("softmax and log_softmax along every axis of rank-3 tensors match a plain loop", "[softmax]") {
  const auto s = st::testing::uniform<2, 3, 4>({2, 3, 4}, 1, -3, 3);
  require_softmax_values<-1>(s);
  require_softmax_values<0>(s);
  require_softmax_values<1>(s);
  require_softmax_values<-2>(s);

  const auto d = st::testing::uniform<dyn, dyn, 4>({3, 5, 4}, 2, -3, 3);
  require_softmax_values<2>(d);
  require_softmax_values<0>(d);
  require_softmax_values<1>(d);

  // an empty batch, and empty lanes
  using D = st::tensor<double, st::shape<dyn, dyn, 4>>;
  CHECK(st::eval(st::softmax(D(D::extents_type{0, 3, 4}))).size() == 0);
  CHECK(st::eval(st::log_softmax(D(D::extents_type{2, 0, 4}), st::axis<1>)).size() == 0);
}

TEST_CASE("softmax and log_softmax are stable for large inputs", "[softmax]") {
  st::tensor<double, st::shape<2>> same{1000, 1000};
  require_values(st::eval(st::softmax(same)), {0.5, 0.5});
  require_values(st::eval(st::log_softmax(same)), {-std::log(2.0), -std::log(2.0)});
  st::tensor<double, st::shape<2>> far{1000, 0};
  const auto lp = st::eval(st::log_softmax(far));
  REQUIRE(std::isfinite(lp(0)));
  REQUIRE(std::isfinite(lp(1)));
  require_values(lp, {0, -1000});
  require_values(st::eval(st::softmax(far)), {1, 0});
  st::tensor<double, st::shape<2, 2>> low{{-1000, -1000}, {-1000, -1001}};
  require_values(st::eval(st::softmax(low, st::axis<0>)), {0.5, 1 / (1 + std::exp(-1.0)), 0.5, 1 / (1 + std::exp(1.0))});

  // float overflows exp(89): softmax must not
  st::tensor<float, st::shape<dyn, 2>> big{{1000, 1000}, {500, 500}};
  const auto pf = st::eval(st::softmax(big));
  for (float value : pf) CHECK(value == Approx(0.5f));
  const auto lf = st::eval(st::log_softmax(st::tensor<float, st::shape<2>>{1000, 0}));
  CHECK(lf(0) == Approx(0.0f).margin(1e-6));
  CHECK(lf(1) == Approx(-1000.0f));
}

TEST_CASE("softmax and log_softmax pass gradient checks", "[softmax][gradcheck]") {
  SECTION("static shape, every axis") {
    auto x = st::testing::uniform<2, 3, 4>({2, 3, 4}, 3, -2, 2);
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::softmax(x)), st::named("x", x)));
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::log_softmax(x)), st::named("x", x)));
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::softmax(x, st::axis<0>)), st::named("x", x)));
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::log_softmax(x, st::axis<0>)), st::named("x", x)));
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::softmax(x, st::axis<1>)), st::named("x", x)));
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::log_softmax(x, st::axis<-2>)), st::named("x", x)));
  }
  SECTION("dyn shape, every axis") {
    auto x = st::testing::uniform<dyn, dyn, 4>({3, 2, 4}, 4, -2, 2);
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::softmax(x)), st::named("x", x)));
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::log_softmax(x)), st::named("x", x)));
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::softmax(x, st::axis<0>)), st::named("x", x)));
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::log_softmax(x, st::axis<1>)), st::named("x", x)));
    auto v = st::testing::uniform<dyn>({5}, 5, -2, 2);
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::softmax(v)), st::named("v", v)));
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::log_softmax(v)), st::named("v", v)));
  }
}

TEST_CASE("softmax and log_softmax of lazy expressions, and feeding further ops", "[softmax][gradcheck]") {
  auto x = st::testing::uniform<dyn, 5>({4, 5}, 6, -2, 2);
  auto w = st::testing::uniform<5>({5}, 7, 0.5, 1.5);

  // values of log_softmax(x * w) against a loop
  const auto lp = st::eval(st::log_softmax(x * w));
  for (idx i = 0; i < 4; ++i) {
    double total = 0;
    for (idx j = 0; j < 5; ++j) total += std::exp(x(i, j) * w(j));
    for (idx j = 0; j < 5; ++j) CHECK(lp(i, j) == Approx(x(i, j) * w(j) - std::log(total)).margin(1e-12));
  }

  STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::log_softmax(x * w)), st::named("x", x), st::named("w", w)));
  STRATA_REQUIRE_GRADIENTS(
      st::gradcheck(st::project(st::softmax(st::tanh(x) * w, st::axis<0>)), st::named("x", x), st::named("w", w)));

  // a cross-entropy against one-hot labels, and a softmax fed into further elementwise ops
  st::tensor<double, st::shape<dyn, 5>> labels{{0, 1, 0, 0, 0}, {0, 0, 0, 0, 1}, {1, 0, 0, 0, 0}, {0, 0, 1, 0, 0}};
  auto cross_entropy = -st::mean(st::sum(labels * st::log_softmax(x * w), st::axis<-1>));
  double expected = 0;
  for (idx i = 0; i < 4; ++i)
    for (idx j = 0; j < 5; ++j) expected -= labels(i, j) * lp(i, j) / 4;
  CHECK(st::eval(cross_entropy).item() == Approx(expected));
  STRATA_REQUIRE_GRADIENTS(st::gradcheck(cross_entropy, st::named("x", x), st::named("w", w)));
  STRATA_REQUIRE_GRADIENTS(
      st::gradcheck(st::project(st::square(st::softmax(x)) * w + st::softmax(x)), st::named("x", x)));
}
