#include "support/strata_test.hpp"

namespace st = strata;

TEST_CASE("evaluating an expression into a tensor", "[eval]") {
  st::tensor<float, st::shape<2, 2>> a{{1, 2}, {3, 4}};
  st::tensor<float, st::shape<2, 2>> b = a * 2.0f + 1.0f;
  REQUIRE(st::allclose(b, st::tensor<float, st::shape<2, 2>>{{3, 5}, {7, 9}}));
  auto c = st::eval(a - b);
  static_assert(std::is_same_v<decltype(c), st::tensor<float, st::shape<2, 2>>>);
  REQUIRE(st::allclose(c, st::tensor<float, st::shape<2, 2>>{{-2, -3}, {-4, -5}}));
}

TEST_CASE("eval_into reuses storage and resizes dyn extents", "[eval]") {
  st::tensor<double, st::shape<st::dyn, 3>> x = st::tensor<double, st::shape<st::dyn, 3>>::ones({4, 3});
  st::tensor<double, st::shape<st::dyn, 3>> out({4, 3});
  const double* storage = out.data();
  st::eval_into(st::exp(x), out);
  REQUIRE(out.data() == storage);
  REQUIRE(out(3, 2) == Approx(std::exp(1.0)));
  st::tensor<double, st::shape<st::dyn, 3>> y = st::tensor<double, st::shape<st::dyn, 3>>::ones({7, 3});
  st::eval_into(y * 2.0, out);
  REQUIRE(out.dims() == st::extents<2>{7, 3});
  REQUIRE(out(6, 0) == Approx(2.0));
}

TEST_CASE("a tensor can be assigned an expression that reads it", "[eval]") {
  st::tensor<double, st::shape<3>> w{1.0, 2.0, 3.0};
  w = w * w - 1.0;
  REQUIRE(st::allclose(w, st::tensor<double, st::shape<3>>{0.0, 3.0, 8.0}));
  st::tensor<double, st::shape<2, 2>> m{{1, 2}, {3, 4}};
  m = st::transpose(m);
  REQUIRE(st::allclose(m, st::tensor<double, st::shape<2, 2>>{{1, 3}, {2, 4}}));
}

TEST_CASE("a static tensor takes a dyn expression only when the run-time extents fit", "[eval]") {
  st::tensor<double, st::shape<st::dyn, 2>> x = st::tensor<double, st::shape<st::dyn, 2>>::ones({3, 2});
  st::tensor<double, st::shape<3, 2>> fits = x * 1.0;
  REQUIRE(fits(2, 1) == 1.0);
  st::tensor<double, st::shape<4, 2>> wrong;
  REQUIRE_THROWS_AS(wrong = x * 1.0, st::shape_error);
  REQUIRE_THROWS_WITH(wrong = x * 1.0, Catch::Contains("(4, 2)") && Catch::Contains("(3, 2)"));
}

TEST_CASE("expressions are re-evaluated after their tensors change", "[eval]") {
  st::tensor<double, st::shape<2>> x{1.0, 2.0};
  auto doubled = x * 2.0;
  REQUIRE(st::eval(doubled)(1) == 4.0);
  x(1) = 10.0;
  REQUIRE(st::eval(doubled)(1) == 20.0);
}

TEST_CASE("a tensor resized after the expression was built is refused, not read out of bounds", "[eval]") {
  st::tensor<double, st::shape<st::dyn, 2>> x = st::tensor<double, st::shape<st::dyn, 2>>::ones({3, 2});
  st::tensor<double, st::shape<2, 4>> w = st::tensor<double, st::shape<2, 4>>::ones();
  auto product = st::matmul(x, w);
  auto scaled = x * 2.0;
  x.resize({5, 2});
  REQUIRE_THROWS_WITH(st::eval(product), Catch::Contains("(3, 2)") && Catch::Contains("(5, 2)"));
  REQUIRE_THROWS_AS(st::eval(scaled), st::shape_error);
  REQUIRE_THROWS_AS(st::value_and_grad(st::sum(product), w), st::shape_error);
}

TEST_CASE("evaluating into a tensor the expression reads, while it grows", "[eval]") {
  // reshape reads y's memory in place; y must not be reallocated under it.
  st::tensor<double, st::shape<st::dyn, 3>> y{{1, 2, 3}};
  st::tensor<double, st::shape<st::dyn, 3>> z{{10, 20, 30}, {40, 50, 60}};
  y = z + st::reshape<1, 3>(y);
  REQUIRE(st::allclose(y, st::tensor<double, st::shape<st::dyn, 3>>{{11, 22, 33}, {41, 52, 63}}));
}
