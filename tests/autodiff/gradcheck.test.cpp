#include "support/strata_test.hpp"

namespace st = strata;

namespace {

// cube with a deliberately wrong derivative at one place, to show that gradcheck catches it.
struct wrong_cube_op {
  static constexpr const char* name = "wrong_cube";
  auto forward(const auto& x) const { return x.cube(); }
  template <std::size_t>
  auto backward(const auto& g, const auto& x) const {
    return g * 3.0 * x.square() + (x > 0.75).template cast<double>();  // wrong where x > 0.75
  }
};

}  // namespace

TEST_CASE("gradcheck passes a correct gradient and reports the worst entry", "[autodiff][gradcheck]") {
  st::tensor<double, st::shape<2, 3>> x{{0.1, -0.2, 0.3}, {0.4, 0.5, -0.6}};
  st::tensor<double, st::shape<3>> w{0.7, -0.8, 0.9};
  const auto report = st::gradcheck(st::sum(st::tanh(x * w)), st::named("x", x), st::named("w", w));
  INFO(report.message());
  REQUIRE(report.ok);
  REQUIRE(report.worst_error < 1e-8);
  REQUIRE((report.parameter == "x" || report.parameter == "w"));
  REQUIRE(report.message().find("passed") != std::string::npos);
}

TEST_CASE("gradcheck names the parameter and index of a wrong gradient", "[autodiff][gradcheck]") {
  st::tensor<double, st::shape<2, 2>> a{{0.1, 0.2}, {0.3, 0.4}};
  st::tensor<double, st::shape<2, 2>> b{{0.5, 0.6}, {0.7, 0.8}};  // only b(1, 1) = 0.8 exceeds 0.75
  const auto report = st::gradcheck(st::sum(a + st::make_elementwise(wrong_cube_op{}, b)), st::named("a", a),
                                    st::named("b", b));
  REQUIRE_FALSE(report.ok);
  REQUIRE(report.parameter == "b");
  REQUIRE(report.position == "(1, 1)");
  REQUIRE(report.analytic == Approx(3 * 0.64 + 1));
  REQUIRE(report.numeric == Approx(3 * 0.64).epsilon(1e-6));
  REQUIRE(report.message().find("FAILED") != std::string::npos);
  REQUIRE(report.message().find("b(1, 1)") != std::string::npos);
}

TEST_CASE("gradcheck leaves the checked tensors unchanged", "[autodiff][gradcheck]") {
  auto x = st::testing::uniform<st::dyn, 4>({3, 4}, 11);
  const auto before = x;
  STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::sigmoid(x)), st::named("x", x)));
  REQUIRE(st::allclose(x, before, 0, 0));
}

TEST_CASE("project weights every element of a non-scalar expression", "[autodiff][gradcheck]") {
  auto x = st::testing::uniform<2, 3>({2, 3}, 5);
  auto projected = st::project(x * 1.0, 9);
  static_assert(std::is_same_v<decltype(projected)::shape_type, st::shape<>>);
  auto [value, grads] = st::value_and_grad(projected, x);
  // d Σ x⊙r / dx = r, all in [0.5, 1.5)
  for (double r : std::get<0>(grads)) {
    REQUIRE(r >= 0.5);
    REQUIRE(r < 1.5);
  }
  double expected = 0;
  for (st::index i = 0; i < x.size(); ++i) expected += x.data()[i] * std::get<0>(grads).data()[i];
  REQUIRE(value == Approx(expected));
}
