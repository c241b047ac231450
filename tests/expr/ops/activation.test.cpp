// activation (a Keras activation chosen at run time by name) and activate(x, a): names, JSON,
// values by hand and exactly those of the elementwise ops and strata::softmax, and gradients.

#include <array>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "support/strata_test.hpp"

namespace st = strata;
using st::dyn;
using idx = st::index;
using kind = st::activation::kind;

namespace {

constexpr std::array<kind, 10> every_kind{kind::linear, kind::relu, kind::sigmoid, kind::tanh,  kind::softmax,
                                         kind::gelu,   kind::elu,  kind::selu,    kind::swish, kind::softplus};

/// The activation by a plain scalar formula (Keras' definitions); softmax is done per row elsewhere.
double by_hand(kind k, double x) {
  const double alpha = 1.6732632423543772848170429916717, scale = 1.0507009873554804934193349852946;
  const double sigmoid = 1 / (1 + std::exp(-x));
  switch (k) {
    case kind::linear: return x;
    case kind::relu: return x > 0 ? x : 0;
    case kind::sigmoid: return sigmoid;
    case kind::tanh: return std::tanh(x);
    case kind::gelu: return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
    case kind::elu: return x > 0 ? x : std::exp(x) - 1;
    case kind::selu: return scale * (x > 0 ? x : alpha * (std::exp(x) - 1));
    case kind::swish: return x * sigmoid;
    case kind::softplus: return std::log1p(std::exp(x));
    case kind::softmax: break;
  }
  return std::nan("");
}

/// The derivative of the activation by a plain scalar formula (not softmax).
double derivative_by_hand(kind k, double x) {
  const double alpha = 1.6732632423543772848170429916717, scale = 1.0507009873554804934193349852946;
  const double sigmoid = 1 / (1 + std::exp(-x));
  const double pi = 3.141592653589793;
  switch (k) {
    case kind::linear: return 1;
    case kind::relu: return x > 0 ? 1 : 0;
    case kind::sigmoid: return sigmoid * (1 - sigmoid);
    case kind::tanh: return 1 - std::tanh(x) * std::tanh(x);
    case kind::gelu: return 0.5 * (1 + std::erf(x / std::sqrt(2.0))) + x * std::exp(-x * x / 2) / std::sqrt(2 * pi);
    case kind::elu: return x > 0 ? 1 : std::exp(x);
    case kind::selu: return scale * (x > 0 ? 1 : alpha * std::exp(x));
    case kind::swish: return sigmoid + x * sigmoid * (1 - sigmoid);
    case kind::softplus: return sigmoid;
    case kind::softmax: break;
  }
  return std::nan("");
}

/// The same expression as the elementwise op (or strata::softmax) of the activation.
template <class X>
auto by_op(kind k, const X& x) {
  using T = typename X::scalar_type;
  using result = st::tensor<T, typename X::shape_type>;
  switch (k) {
    case kind::linear: return result(x);
    case kind::relu: return result(st::relu(x));
    case kind::sigmoid: return result(st::sigmoid(x));
    case kind::tanh: return result(st::tanh(x));
    case kind::softmax: return result(st::softmax(x));
    case kind::gelu: return result(st::gelu(x));
    case kind::elu: return result(st::elu(x));
    case kind::selu: return result(st::selu(x));
    case kind::swish: return result(st::swish(x));
    case kind::softplus: return result(st::softplus(x));
  }
  return result(x);
}

/// activate(x, k) equals the elementwise op (strata::softmax) bit for bit, and has x's shape.
template <class X>
void require_same_as_ops(const X& x) {
  for (kind k : every_kind) {
    const st::activation a = k;
    INFO("activation " << a.name());
    const auto y = st::eval(st::activate(x, a));
    static_assert(std::is_same_v<typename decltype(y)::shape_type, typename X::shape_type>);
    const auto expected = by_op(k, x);
    REQUIRE(y.dims() == x.dims());
    REQUIRE(std::memcmp(y.data(), expected.data(), std::size_t(y.size()) * sizeof(typename X::scalar_type)) == 0);
  }
}

}  // namespace

TEST_CASE("activation: Keras names, kinds and equality", "[activation]") {
  const st::activation linear;
  CHECK(linear.which() == kind::linear);
  CHECK(linear.name() == "linear");
  for (kind k : every_kind) {
    const st::activation by_kind = k;
    const st::activation by_name = by_kind.name();
    const st::activation by_string(std::string(by_kind.name()));
    CHECK(by_name.which() == k);
    CHECK(by_name == by_kind);
    CHECK(by_string == by_kind);
  }
  CHECK(st::activation("relu").name() == "relu");
  CHECK(st::activation("softplus").which() == kind::softplus);
  CHECK(st::activation(std::string_view("gelu")).which() == kind::gelu);
  CHECK(st::activation("silu") == kind::swish);  // Keras 3's name for swish
  CHECK(st::activation("silu").name() == "swish");
  CHECK(st::activation(kind::tanh) != st::activation("sigmoid"));
  CHECK(st::activation(kind::tanh) == "tanh");
}

TEST_CASE("activation: an unknown name throws invalid_argument listing the known ones", "[activation][errors]") {
  REQUIRE_THROWS_AS(st::activation("foo"), std::invalid_argument);
  REQUIRE_THROWS_WITH(st::activation("foo"),
                      "strata: unknown activation 'foo'; known: linear, relu, sigmoid, tanh, softmax, gelu, elu, selu, "
                      "swish, softplus, silu");
  REQUIRE_THROWS_WITH(st::activation("ReLU"), Catch::Contains("unknown activation 'ReLU'"));  // Keras is case-sensitive
  REQUIRE_THROWS_WITH(st::activation(""), Catch::Contains("unknown activation ''"));
  REQUIRE_THROWS_WITH(st::activation(static_cast<const char*>(nullptr)), Catch::Contains("unknown activation ''"));
  REQUIRE_THROWS_AS(st::activation(std::string_view("leaky_relu")), std::invalid_argument);
}

TEST_CASE("activation: JSON is the Keras name; anything but a known name is refused", "[activation][json]") {
  for (kind k : every_kind) {
    const st::activation a = k;
    const nlohmann::json j = a;
    REQUIRE(j.is_string());
    REQUIRE(j.get<std::string>() == a.name());
    REQUIRE(j.get<st::activation>() == a);
  }
  CHECK(nlohmann::json(st::activation("silu")) == "swish");
  CHECK(nlohmann::json("silu").get<st::activation>() == kind::swish);
  // inside a config, as Keras writes a Dense layer's
  const auto config = nlohmann::json::parse(R"({"units": 4, "activation": "softmax"})");
  CHECK(config.at("activation").get<st::activation>() == kind::softmax);

  REQUIRE_THROWS_WITH(nlohmann::json("nope").get<st::activation>(), Catch::Contains("unknown activation 'nope'"));
  for (const char* text : {"3", "null", R"({"class_name": "ReLU"})", R"(["relu"])"}) {
    INFO(text);
    const auto j = nlohmann::json::parse(text);
    REQUIRE_THROWS_AS(j.get<st::activation>(), std::invalid_argument);
    REQUIRE_THROWS_WITH(j.get<st::activation>(), Catch::Contains("string") && Catch::Contains(j.dump()));
  }
}

TEST_CASE("activate: values by hand", "[activation]") {
  // hand-computed (Python's math module) at a few points
  const st::tensor<double, st::shape<2>> x{-1, 1};
  const auto at = [&](st::activation a) { return st::eval(st::activate(x, a)); };
  CHECK(at("gelu")(1) == Approx(0.8413447460685429).epsilon(1e-14));
  CHECK(at("gelu")(0) == Approx(-0.15865525393145707).epsilon(1e-14));
  CHECK(at("selu")(0) == Approx(-1.1113307378125625).epsilon(1e-14));
  CHECK(at("selu")(1) == Approx(1.0507009873554805).epsilon(1e-14));
  CHECK(at("elu")(0) == Approx(-0.6321205588285577).epsilon(1e-14));
  CHECK(at("swish")(1) == Approx(0.7310585786300049).epsilon(1e-14));
  CHECK(at("sigmoid")(1) == Approx(0.7310585786300049).epsilon(1e-14));
  CHECK(at("tanh")(1) == Approx(0.7615941559557649).epsilon(1e-14));
  CHECK(at("softplus")(1) == Approx(1.3132616875182228).epsilon(1e-14));
  CHECK(at("relu")(0) == 0);
  CHECK(at("relu")(1) == 1);
  CHECK(at("linear")(0) == -1);

  // every elementwise kind against its scalar formula, more than one packet long
  st::tensor<double, st::shape<dyn, 7>> m(st::extents<2>{3, 7});
  for (idx i = 0; i < m.size(); ++i) m.data()[i] = -4 + 0.4 * double(i);
  for (kind k : every_kind) {
    if (k == kind::softmax) continue;
    const st::activation a = k;
    INFO("activation " << a.name());
    const auto y = st::eval(st::activate(m, a));
    for (idx i = 0; i < m.size(); ++i) REQUIRE(y.data()[i] == Approx(by_hand(k, m.data()[i])).margin(1e-14));
  }

  // softmax along the last axis, stable for large inputs
  const st::tensor<double, st::shape<2, 3>> s{{1, 2, 3}, {1000, 1000, 1000}};
  const auto p = st::eval(st::activate(s, "softmax"));
  const double expected[] = {0.09003057317038046, 0.24472847105479767, 0.6652409557748219, 1.0 / 3, 1.0 / 3, 1.0 / 3};
  for (idx i = 0; i < 6; ++i) CHECK(p.data()[i] == Approx(expected[i]).margin(1e-15));
  const auto pf = st::eval(st::activate(st::tensor<float, st::shape<dyn, 2>>{{1000, 1000}, {-1000, 0}}, "softmax"));
  CHECK(pf(0, 0) == 0.5f);
  CHECK(pf(1, 0) == 0.0f);
  CHECK(pf(1, 1) == 1.0f);
}

TEST_CASE("activate: exactly the values of the elementwise ops and strata::softmax", "[activation]") {
  SECTION("double, static and dyn shapes") {
    require_same_as_ops(st::testing::uniform<3, 4, 5>({3, 4, 5}, 1, -4, 4));
    require_same_as_ops(st::testing::uniform<dyn, 9>({5, 9}, 2, -4, 4));
    require_same_as_ops(st::testing::uniform<dyn>({13}, 3, -4, 4));
  }
  SECTION("float") {
    using F = st::tensor<float, st::shape<dyn, 17>>;
    require_same_as_ops(F::random_uniform({6, 17}, 4, -4, 4));
    require_same_as_ops(st::tensor<float, st::shape<3, 8>>::random_normal({3, 8}, 5, 0, 3));
  }
  SECTION("of a lazy expression, and feeding one") {
    auto x = st::testing::uniform<dyn, 6>({4, 6}, 6, -2, 2);
    auto w = st::testing::uniform<6>({6}, 7, -2, 2);
    for (kind k : every_kind) {
      const st::activation a = k;
      INFO("activation " << a.name());
      const st::tensor<double, st::shape<dyn, 6>> xw = x * w + 0.5;
      const auto y = st::eval(st::activate(x * w + 0.5, a) * 2.0);
      const auto expected = by_op(k, xw);
      for (idx i = 0; i < y.size(); ++i) REQUIRE(y.data()[i] == 2.0 * expected.data()[i]);
    }
  }
}

TEST_CASE("activate: rank 0, empty tensors and linear's pass-through", "[activation]") {
  const auto scalar = st::tensor<double, st::shape<>>::full({}, 0.5);
  CHECK(st::eval(st::activate(scalar, "tanh")).item() == std::tanh(0.5));
  CHECK(st::eval(st::activate(scalar, "softmax")).item() == 1.0);  // one lane of one element
  using E = st::tensor<double, st::shape<dyn, 4>>;
  const E empty(E::extents_type{0, 4});
  using Z = st::tensor<double, st::shape<3, 0>>;
  for (kind k : every_kind) {
    CHECK(st::eval(st::activate(empty, k)).dims() == st::extents<2>{0, 4});
    CHECK(st::eval(st::activate(Z{}, k)).dims() == st::extents<2>{3, 0});
  }
  // linear is the identity: a tensor's own memory, no copy
  const auto x = st::testing::uniform<2, 3>({2, 3}, 8);
  const auto e = st::activate(x, st::activation());
  e.forward();
  CHECK(e.data() == x.data());
  CHECK(e.function() == kind::linear);
}

TEST_CASE("activate: gradient checks for every activation, static and dyn shapes", "[activation][gradcheck]") {
  for (kind k : every_kind) {
    const st::activation a = k;
    INFO("activation " << a.name());
    // uniform samples in [-2, 2): none within 1e-6 of relu's and elu's kink at 0
    auto s = st::testing::uniform<2, 3, 4>({2, 3, 4}, 9, -2, 2);
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::activate(s, a)), st::named("s", s)));
    auto d = st::testing::uniform<dyn, 5>({3, 5}, 10, -2, 2);
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::activate(d, a)), st::named("d", d)));
    auto w = st::testing::uniform<5>({5}, 11, 0.5, 1.5);
    STRATA_REQUIRE_GRADIENTS(
        st::gradcheck(st::project(st::activate(d * w, a) + d), st::named("d", d), st::named("w", w)));
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::mean(st::activate(d * w, a)), st::named("d", d), st::named("w", w)));
  }
}

TEST_CASE("activate: gradients against derivatives by hand and strata::softmax's", "[activation][gradcheck]") {
  auto x = st::testing::uniform<dyn, 6>({3, 6}, 12, -2, 2);
  const auto r = st::testing::uniform<dyn, 6>({3, 6}, 13, 0.5, 1.5);
  for (kind k : every_kind) {
    const st::activation a = k;
    INFO("activation " << a.name());
    const auto [dx] = st::grad(st::sum(st::activate(x, a) * r), x);
    if (k == kind::softmax) {
      REQUIRE(st::allclose(dx, std::get<0>(st::grad(st::sum(st::softmax(x) * r), x)), 1e-13, 1e-15));
      continue;
    }
    for (idx i = 0; i < x.size(); ++i)
      REQUIRE(dx.data()[i] == Approx(r.data()[i] * derivative_by_hand(k, x.data()[i])).epsilon(1e-12).margin(1e-14));
  }
}
