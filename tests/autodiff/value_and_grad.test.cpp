#include "support/strata_test.hpp"

namespace st = strata;

TEST_CASE("value_and_grad of a scalar expression", "[autodiff]") {
  st::tensor<double, st::shape<3>> x{1.0, 2.0, 3.0};
  auto [value, grads] = st::value_and_grad(st::sum(st::square(x)), x);
  REQUIRE(value == Approx(14.0));
  REQUIRE(st::allclose(std::get<0>(grads), st::tensor<double, st::shape<3>>{2.0, 4.0, 6.0}));
}

TEST_CASE("a tensor used several times gets its gradients summed", "[autodiff]") {
  st::tensor<double, st::shape<2>> x{3.0, -1.0};
  st::tensor<double, st::shape<2>> y{0.5, 2.0};
  // d/dx Σ (x·x + x·y + exp(x)) = 2x + y + exp(x); d/dy = x
  auto loss = st::sum(x * x + x * y + st::exp(x));
  auto [value, grads] = st::value_and_grad(loss, x, y);
  REQUIRE(value == Approx(9 + 1 + 1.5 - 2 + std::exp(3.0) + std::exp(-1.0)));
  auto [dx, dy] = grads;
  REQUIRE(dx(0) == Approx(6 + 0.5 + std::exp(3.0)));
  REQUIRE(dx(1) == Approx(-2 + 2 + std::exp(-1.0)));
  REQUIRE(dy(0) == Approx(3.0));
  REQUIRE(dy(1) == Approx(-1.0));
}

TEST_CASE("backward accumulates into the gradient, as PyTorch's .grad does", "[autodiff]") {
  st::tensor<float, st::shape<2>> w{1.0f, 2.0f};
  st::tensor<float, st::shape<2>> dw;
  auto loss = st::sum(3.0f * w);
  REQUIRE(st::backward(loss, st::wrt(w, dw)) == Approx(9.0f));
  REQUIRE(st::backward(loss, st::wrt(w, dw)) == Approx(9.0f));
  REQUIRE(st::allclose(dw, st::tensor<float, st::shape<2>>{6.0f, 6.0f}));
}

TEST_CASE("the gradient with respect to a tensor the loss does not use is zero", "[autodiff]") {
  st::tensor<double, st::shape<2>> x{1.0, 2.0}, unused{5.0, 6.0};
  auto grads = st::grad(st::sum(x), x, unused);
  REQUIRE(st::allclose(std::get<0>(grads), st::tensor<double, st::shape<2>>{1.0, 1.0}));
  REQUIRE(st::allclose(std::get<1>(grads), st::tensor<double, st::shape<2>>{0.0, 0.0}));
}

TEST_CASE("the expression re-reads its tensors on every evaluation", "[autodiff]") {
  st::tensor<double, st::shape<1>> w{2.0};
  auto loss = st::sum(w * w);
  REQUIRE(st::value_and_grad(loss, w).first == Approx(4.0));
  w(0) = 3.0;
  auto [value, grads] = st::value_and_grad(loss, w);
  REQUIRE(value == Approx(9.0));
  REQUIRE(std::get<0>(grads)(0) == Approx(6.0));
}

TEST_CASE("temporaries moved into an expression are owned by it", "[autodiff]") {
  st::tensor<double, st::shape<2>> x{1.0, 2.0};
  auto loss = st::sum(x * st::tensor<double, st::shape<2>>{10.0, 100.0});  // the temporary cannot dangle
  auto [value, grads] = st::value_and_grad(loss, x);
  REQUIRE(value == Approx(210.0));
  REQUIRE(std::get<0>(grads)(1) == Approx(100.0));
}

TEST_CASE("gradients need a scalar loss: a dyn shape with more than one element throws", "[autodiff]") {
  st::tensor<double, st::shape<st::dyn>> x{1.0, 2.0};
  REQUIRE_THROWS_WITH(st::value_and_grad(x * 2.0, x), Catch::Contains("scalar") && Catch::Contains("(2,)"));
  st::tensor<double, st::shape<st::dyn>> one{4.0};
  REQUIRE(st::value_and_grad(one * 2.0, one).first == Approx(8.0));
}

TEST_CASE("float gradients agree with double ones", "[autodiff]") {
  auto xd = st::testing::uniform<st::dyn, 8>({16, 8}, 3);
  auto wd = st::testing::uniform<8>({8}, 4);
  st::tensor<float, st::shape<st::dyn, 8>> xf({16, 8});
  st::tensor<float, st::shape<8>> wf;
  for (st::index i = 0; i < xd.size(); ++i) xf.data()[i] = float(xd.data()[i]);
  for (st::index i = 0; i < wd.size(); ++i) wf.data()[i] = float(wd.data()[i]);
  auto [vd, gd] = st::value_and_grad(st::mean(st::tanh(xd * wd)), wd);
  auto [vf, gf] = st::value_and_grad(st::mean(st::tanh(xf * wf)), wf);
  REQUIRE(vf == Approx(vd).epsilon(1e-5));
  for (st::index i = 0; i < 8; ++i) REQUIRE(std::get<0>(gf)(i) == Approx(std::get<0>(gd)(i)).margin(1e-6));
}

// backward computes sum(f) / mean(f) of an elementwise f in one pass over windows of columns;
// any other loss goes through the general reverse sweep. Both must give the same gradients.
TEST_CASE("one-pass losses agree with the general reverse sweep", "[autodiff][windows]") {
  // 3000 rows of 2 features: several windows, the last one partial.
  auto x = st::testing::uniform<st::dyn, 2>({3000, 2}, 21);
  auto w = st::testing::uniform<2>({2}, 22);
  auto column = st::testing::uniform<st::dyn, 1>({3000, 1}, 23);
  auto m = st::testing::uniform<2, 2>({2, 2}, 24);
  auto scalar = st::testing::uniform<>({}, 25);

  auto check = [](const auto& one_pass, const auto& general, auto&... tensors) {
    auto [value_one, grads_one] = st::value_and_grad(one_pass, tensors...);
    auto [value_general, grads_general] = st::value_and_grad(general, tensors...);
    REQUIRE(value_one == Approx(value_general).epsilon(1e-12));
    const bool all_close = std::apply(
        [&](const auto&... one) {
          return std::apply([&](const auto&... other) { return (st::allclose(one, other, 1e-12, 1e-12) && ...); },
                            grads_general);
        },
        grads_one);
    REQUIRE(all_close);
  };
  // Broadcast over rows (w), over columns (column), a rank-0 tensor, and a matmul below.
  auto f = st::exp(st::tanh(x * w) * column) * scalar + st::sigmoid(st::matmul(x, m)) - 0.5;
  check(st::sum(f), st::sum(st::sum(f, st::axis<-1>)), x, w, column, m, scalar);
  check(st::mean(f), st::mean(st::mean(f, st::axis<0>)), x, w, column, m, scalar);

  // A general (gathered) broadcast: (b, 1, f) against (b, s, f).
  auto cube = st::testing::uniform<st::dyn, 3, 2>({700, 3, 2}, 26);
  auto slab = st::testing::uniform<st::dyn, 1, 2>({700, 1, 2}, 27);
  auto g = st::square(cube * slab) + st::exp(slab);
  check(st::sum(g), st::sum(st::sum(g, st::axis<0>)), cube, slab);
  STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::sum(g), st::named("cube", cube), st::named("slab", slab)));
}

TEST_CASE("one-pass losses skip operands that take no gradient", "[autodiff][windows]") {
  // t reaches the loss only through a comparison and a select's condition: its gradient is 0.
  auto x = st::testing::uniform<st::dyn, 4>({6, 4}, 31);
  st::tensor<double, st::shape<4>> t{0.1, -0.2, 0.3, 0.0};
  auto masked = x * (x > t);
  auto chosen = st::select(t, x, 2.0 * x);
  auto [value, grads] = st::value_and_grad(st::sum(masked) + st::sum(chosen) * 0.0, t);
  REQUIRE(std::isfinite(value));
  auto [one_pass, one_pass_grads] = st::value_and_grad(st::sum(masked), t);
  auto [select_value, select_grads] = st::value_and_grad(st::sum(chosen), t);
  double expected = 0;
  for (st::index i = 0; i < 6; ++i)
    for (st::index j = 0; j < 4; ++j) expected += x(i, j) > t(j) ? x(i, j) : 0.0;
  REQUIRE(one_pass == Approx(expected));
  for (double g : std::get<0>(one_pass_grads)) REQUIRE(g == 0.0);
  for (double g : std::get<0>(select_grads)) REQUIRE(g == 0.0);
  for (double g : std::get<0>(grads)) REQUIRE(g == 0.0);
  REQUIRE(std::isfinite(select_value));
}

TEST_CASE("asking twice for the same tensor's gradient is an error", "[autodiff]") {
  st::tensor<double, st::shape<2>> w{1.0, 2.0};
  REQUIRE_THROWS_WITH(st::value_and_grad(st::sum(w * w), w, w), Catch::Contains("twice"));
}
