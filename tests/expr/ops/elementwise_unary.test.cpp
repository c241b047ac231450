// Elementwise unary ops: values against numbers computed by hand (Keras / TensorFlow definitions),
// in float and double, and gradients against finite differences on static and dyn shapes.

#include <cmath>
#include <initializer_list>
#include <limits>
#include <utility>

#include "support/strata_test.hpp"

namespace st = strata;

namespace {

using sample = std::pair<double, double>;  // input, expected output

/// Applies `f` to a rank-1 tensor of the sample inputs (more than one packet, so Eigen's
/// vectorised and scalar tails both run) and compares every element with its expected value.
template <class T, class F>
void require_values(F f, std::initializer_list<sample> samples) {
  using vector = st::tensor<T, st::shape<st::dyn>>;
  vector x(st::extents<1>{st::index(samples.size())});
  st::index i = 0;
  for (const auto& s : samples) x(i++) = T(s.first);
  const vector y = f(x);
  REQUIRE(y.dims() == x.dims());
  const double rtol = std::is_same_v<T, float> ? 2e-6 : 1e-13;
  i = 0;
  for (const auto& [input, expected] : samples) {
    const double actual = y(i++);
    INFO((std::is_same_v<T, float> ? "float" : "double") << " input " << input << " expected " << expected
                                                         << " actual " << actual);
    REQUIRE(std::abs(actual - expected) <= rtol * std::abs(expected) + 1e-300);
  }
}

/// Moves each entry at least `margin` away from the points where the op has a kink.
template <class Tensor>
void keep_away(Tensor& t, std::initializer_list<double> kinks, double margin = 0.05) {
  for (double& v : t)
    for (double k : kinks)
      if (std::abs(v - k) < margin) v = v < k ? k - margin : k + margin;
}

/// Gradient check of `f` on a static (3, 4) tensor and on a (dyn, 3) tensor with 4 rows.
template <class F>
void require_gradients(F f, double low, double high, std::initializer_list<double> kinks = {}) {
  auto fixed = st::testing::uniform<3, 4>({3, 4}, 11, low, high);
  keep_away(fixed, kinks);
  STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(f(fixed)), st::named("x", fixed)));
  auto rows = st::testing::uniform<st::dyn, 3>({4, 3}, 12, low, high);
  keep_away(rows, kinks);
  STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(f(rows)), st::named("x", rows)));
}

/// Values in float and double, then gradients on inputs in [low, high) away from `kinks`.
template <class F>
void check_unary(F f, std::initializer_list<sample> samples, double low, double high,
                 std::initializer_list<double> kinks = {}) {
  require_values<float>(f, samples);
  require_values<double>(f, samples);
  require_gradients(f, low, high, kinks);
}

template <class T>
using vec = st::tensor<T, st::shape<st::dyn>>;

/// f at the single input `x`, in T.
template <class T, class F>
T at(F f, T x) {
  vec<T> in{x};
  const vec<T> out = f(in);
  return out(0);
}

/// The gradient of sum(f(x)) for each of the inputs, exactly as backward gives it.
template <class F>
vec<double> derivative(F f, vec<double> x) {
  return std::get<0>(st::grad(st::sum(f(x)), x));
}

}  // namespace

TEST_CASE("neg", "[unary]") {
  check_unary([](auto& x) { return -x; }, {{-2, 2}, {-0.5, 0.5}, {0, 0}, {0.5, -0.5}, {1, -1}, {3, -3}}, -2, 2);
}

TEST_CASE("exp", "[unary]") {
  check_unary([](auto& x) { return st::exp(x); },
              {{-2, 0.1353352832366127}, {-0.5, 0.6065306597126334}, {0, 1}, {0.5, 1.6487212707001282},
               {1, 2.718281828459045}, {3, 20.085536923187668}},
              -2, 2);
}

TEST_CASE("log", "[unary]") {
  check_unary([](auto& x) { return st::log(x); },
              {{0.25, -1.3862943611198906}, {0.5, -0.6931471805599453}, {1, 0}, {2, 0.6931471805599453},
               {4, 1.3862943611198906}, {9, 2.1972245773362196}},
              0.5, 3);
  CHECK(at(([](auto& x) { return st::log(x); }), 0.0) == -std::numeric_limits<double>::infinity());
}

TEST_CASE("sqrt", "[unary]") {
  check_unary([](auto& x) { return st::sqrt(x); },
              {{0, 0}, {0.25, 0.5}, {0.5, 0.7071067811865476}, {2, 1.4142135623730951}, {4, 2}, {9, 3}}, 0.5, 3);
}

TEST_CASE("square", "[unary]") {
  check_unary([](auto& x) { return st::square(x); },
              {{-2, 4}, {-0.5, 0.25}, {0, 0}, {0.5, 0.25}, {1, 1}, {3, 9}}, -2, 2);
}

TEST_CASE("abs", "[unary]") {
  const auto f = [](auto& x) { return st::abs(x); };
  check_unary(f, {{-2, 2}, {-0.5, 0.5}, {0, 0}, {0.5, 0.5}, {1, 1}, {3, 3}}, -2, 2, {0});
  // d|x| is sign(x): 0 at 0, as TensorFlow.
  const auto d = derivative(f, {-1.5, 0, 2});
  CHECK(d(0) == -1);
  CHECK(d(1) == 0);
  CHECK(d(2) == 1);
}

TEST_CASE("tanh", "[unary]") {
  const auto f = [](auto& x) { return st::tanh(x); };
  check_unary(f,
              {{-2, -0.9640275800758169}, {-0.5, -0.46211715726000974}, {0, 0}, {0.5, 0.46211715726000974},
               {1, 0.7615941559557649}, {3, 0.9950547536867305}},
              -2, 2);
  CHECK(at(f, 20.0f) == 1.0f);
  CHECK(at(f, -20.0) == -1.0);
}

TEST_CASE("sigmoid", "[unary]") {
  const auto f = [](auto& x) { return st::sigmoid(x); };
  check_unary(f,
              {{-2, 0.11920292202211755}, {-0.5, 0.37754066879814546}, {0, 0.5}, {0.5, 0.6224593312018546},
               {1, 0.7310585786300049}, {3, 0.9525741268224334}},
              -3, 3);
  SECTION("large arguments saturate without NaN") {
    CHECK(at(f, 100.0f) == 1.0f);
    CHECK(at(f, 100.0) == 1.0);
    CHECK(at(f, 800.0) == 1.0);
    CHECK(at(f, -800.0) == 0.0);
    CHECK(at(f, -100.0) == Approx(3.720075976020836e-44).epsilon(1e-12));
    // In float σ(-100) is subnormal; Eigen's vectorised exp clamps its argument at -88.7, so only
    // "below the smallest normal float" is promised there.
    const vec<float> x{-100, -100, -100, -100, -100};
    const vec<float> y = st::sigmoid(x);
    for (float v : y) {
      CHECK(v >= 0.0f);
      CHECK(v <= std::numeric_limits<float>::min());
    }
  }
  SECTION("the gradient vanishes far from 0 instead of becoming NaN") {
    const auto d = derivative(f, {-800, 800, 0});
    CHECK(d(0) == 0);
    CHECK(d(1) == 0);
    CHECK(d(2) == 0.25);
  }
}

TEST_CASE("relu", "[unary]") {
  const auto f = [](auto& x) { return st::relu(x); };
  check_unary(f, {{-2, 0}, {-0.5, 0}, {0, 0}, {0.5, 0.5}, {1, 1}, {3, 3}}, -2, 2, {0});
  // 0 at the kink, as TensorFlow.
  const auto d = derivative(f, {-1, 0, 2});
  CHECK(d(0) == 0);
  CHECK(d(1) == 0);
  CHECK(d(2) == 1);
}

TEST_CASE("leaky_relu", "[unary]") {
  SECTION("default negative slope 0.3 (Keras' LeakyReLU)") {
    const auto f = [](auto& x) { return st::leaky_relu(x); };
    check_unary(f, {{-2, -0.6}, {-0.5, -0.15}, {0, 0}, {0.5, 0.5}, {1, 1}, {3, 3}}, -2, 2, {0});
    const auto d = derivative(f, {-1, 0, 2});
    CHECK(d(0) == Approx(0.3));
    CHECK(d(1) == Approx(0.3));  // TF: alpha where x <= 0
    CHECK(d(2) == 1);
  }
  SECTION("custom slope") {
    check_unary([](auto& x) { return st::leaky_relu(x, 0.1); },
                {{-2, -0.2}, {-0.5, -0.05}, {0, 0}, {0.5, 0.5}, {1, 1}, {3, 3}}, -2, 2, {0});
  }
}

TEST_CASE("elu", "[unary]") {
  SECTION("default alpha 1") {
    const auto f = [](auto& x) { return st::elu(x); };
    check_unary(f,
                {{-2, -0.8646647167633873}, {-0.5, -0.3934693402873666}, {0, 0}, {0.5, 0.5}, {1, 1}, {3, 3}},
                -2, 2, {0});
    CHECK(at(f, -100.0) == -1.0);
    const auto d = derivative(f, {-1, 0, 2});
    CHECK(d(0) == Approx(0.36787944117144233));
    CHECK(d(1) == 1);
    CHECK(d(2) == 1);
  }
  SECTION("custom alpha") {
    check_unary([](auto& x) { return st::elu(x, 0.5); },
                {{-2, -0.43233235838169365}, {-0.5, -0.1967346701436833}, {0, 0}, {0.5, 0.5}, {1, 1}, {3, 3}},
                -2, 2, {0});
  }
}

TEST_CASE("selu", "[unary]") {
  // scale = 1.0507009873554805, alpha = 1.6732632423543772 (Klambauer et al.; Keras).
  const auto f = [](auto& x) { return st::selu(x); };
  check_unary(f,
              {{-2, -1.520166468595695}, {-0.5, -0.6917581878028713}, {0, 0}, {0.5, 0.5253504936777402},
               {1, 1.0507009873554805}, {3, 3.1521029620664414}},
              -2, 2, {0});
  CHECK(at(f, -100.0) == Approx(-1.7580993408473766).epsilon(1e-14));  // -scale·alpha
}

TEST_CASE("gelu", "[unary]") {
  // Exact: ½x(1 + erf(x/√2)), Keras' default (approximate=False); tanh's approximation would give
  // gelu(1) = 0.8411919906082768.
  const auto f = [](auto& x) { return st::gelu(x); };
  check_unary(f,
              {{-2, -0.04550026389635842}, {-0.5, -0.15426876936299344}, {0, 0}, {0.5, 0.34573123063700656},
               {1, 0.8413447460685429}, {3, 2.99595030590511}},
              -3, 3);
  CHECK(at(f, 10.0) == 10.0);
  CHECK(std::abs(at(f, -10.0)) < 1e-20);
}

TEST_CASE("softplus", "[unary]") {
  const auto f = [](auto& x) { return st::softplus(x); };
  check_unary(f,
              {{-2, 0.1269280110429725}, {-0.5, 0.4740769841801067}, {0, 0.6931471805599453},
               {0.5, 0.9740769841801067}, {1, 1.3132616875182228}, {3, 3.048587351573742}},
              -3, 3);
  SECTION("stable for large |x|") {
    CHECK(at(f, 100.0) == 100.0);
    CHECK(at(f, 100.0f) == 100.0f);
    CHECK(at(f, 1000.0) == 1000.0);  // log(1 + e^1000) would overflow
    CHECK(at(f, -100.0) == Approx(3.720075976020836e-44).epsilon(1e-12));
    CHECK(at(f, -1000.0) == 0.0);
    // float: subnormal, see sigmoid.
    const vec<float> x{-100, -100, -100, -100, -100, 100, 100};
    const vec<float> y = st::softplus(x);
    for (st::index i = 0; i < 5; ++i) {
      CHECK(y(i) >= 0.0f);
      CHECK(y(i) <= std::numeric_limits<float>::min());
    }
    CHECK(y(5) == 100.0f);
    CHECK(y(6) == 100.0f);
    const auto d = derivative(f, {-1000, 1000});
    CHECK(d(0) == 0);
    CHECK(d(1) == 1);
  }
}

TEST_CASE("swish", "[unary]") {
  const auto f = [](auto& x) { return st::swish(x); };
  check_unary(f,
              {{-2, -0.2384058440442351}, {-0.5, -0.18877033439907273}, {0, 0}, {0.5, 0.3112296656009273},
               {1, 0.7310585786300049}, {3, 2.8577223804673}},
              -3, 3);
  CHECK(at(f, -100.0) == Approx(-3.7200759760208363e-42).epsilon(1e-12));
  CHECK(at(f, 100.0) == 100.0);
}

TEST_CASE("clip", "[unary]") {
  const auto f = [](auto& x) { return st::clip(x, -1.0, 0.75); };
  check_unary(f, {{-2, -1}, {-0.5, -0.5}, {0, 0}, {0.5, 0.5}, {1, 0.75}, {3, 0.75}}, -2, 2, {-1, 0.75});
  // The gradient passes inside [low, high], bounds included (tf.clip_by_value).
  const auto d = derivative(f, {-2, -1, 0.5, 0.75, 2});
  CHECK(d(0) == 0);
  CHECK(d(1) == 1);
  CHECK(d(2) == 1);
  CHECK(d(3) == 1);
  CHECK(d(4) == 0);
}

TEST_CASE("a chain of unary and binary ops evaluates and differentiates as one expression", "[unary]") {
  const auto f = [](auto& x) { return st::exp(st::tanh(x) * 2.0) + st::sigmoid(x); };
  SECTION("values against a loop") {
    using X = st::tensor<double, st::shape<st::dyn, 3>>;
    const X x = X::random_uniform({4, 3}, 5, -2, 2);
    const X y = f(x);
    REQUIRE(y.dims() == x.dims());
    for (st::index i = 0; i < 4; ++i)
      for (st::index j = 0; j < 3; ++j) {
        const double v = x(i, j);
        REQUIRE(y(i, j) == Approx(std::exp(2 * std::tanh(v)) + 1 / (1 + std::exp(-v))).epsilon(1e-13));
      }
    CHECK(at(f, 0.5) == Approx(3.142397372715197).epsilon(1e-13));
    CHECK(at(f, 0.5f) == Approx(3.142397372715197).epsilon(2e-6));
  }
  SECTION("gradients") { require_gradients(f, -2, 2); }
  SECTION("gradients through the general reverse sweep") {
    // project(e) is a sum, which backward computes in one pass over windows, reading exp, tanh
    // and sigmoid from the window's cache; times 1 it is not, and every op recomputes its output.
    auto x = st::testing::uniform<st::dyn, 3>({4, 3}, 13, -2, 2);
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(f(x)) * 1.0, st::named("x", x)));
  }
  SECTION("an op applied to a temporary tensor holds it by value") {
    using X = st::tensor<double, st::shape<2, 3>>;
    const auto e = st::tanh(st::exp(X::full({2, 3}, 0.25)) * 2.0);
    const X y = e;
    for (double v : y) REQUIRE(v == Approx(std::tanh(2 * std::exp(0.25))).epsilon(1e-13));
  }
}
