// The three computations of the seed document (ScaledExponential, ClippingWeightedSum,
// CustomAttention) as plain expressions: values against plain loops, gradients against
// central differences with respect to every weight and the input.

#include <algorithm>
#include <vector>

#include "support/strata_test.hpp"

namespace st = strata;

TEST_CASE("ScaledExponential: scale * exp(x * w)", "[autodiff][seed]") {
  const double scale = 0.5;
  auto x = st::testing::uniform<st::dyn, 4>({5, 4}, 1);
  auto w = st::testing::uniform<4>({4}, 2);
  auto y = scale * st::exp(x * w);
  static_assert(std::is_same_v<decltype(y)::shape_type, st::shape<st::dyn, 4>>);
  const auto value = st::eval(y);
  for (st::index i = 0; i < 5; ++i)
    for (st::index j = 0; j < 4; ++j) REQUIRE(value(i, j) == Approx(scale * std::exp(x(i, j) * w(j))));
  STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(y), st::named("x", x), st::named("exponent", w)));
}

TEST_CASE("ClippingWeightedSum: reduce_sum(clip(x, lo, hi) W + b, -1, keepdims)", "[autodiff][seed]") {
  constexpr st::index filters = 6;
  auto x = st::testing::uniform<st::dyn, 4>({3, 4}, 3, -2.0, 2.0);
  x(0, 0) = 0.3;  // keep every entry away from the clip bounds, where the gradient jumps
  for (double& v : x) v = std::abs(std::abs(v) - 1.0) < 0.05 ? v * 0.5 : v;
  auto weight_matrix = st::testing::uniform<4, filters>({4, filters}, 4);
  auto bias = st::testing::uniform<filters>({filters}, 5);
  auto y = st::sum(st::matmul(st::clip(x, -1.0, 1.0), weight_matrix) + bias, st::axis<-1>, st::keepdims);
  static_assert(std::is_same_v<decltype(y)::shape_type, st::shape<st::dyn, 1>>);
  const auto value = st::eval(y);
  REQUIRE(value.dims() == st::extents<2>{3, 1});
  for (st::index i = 0; i < 3; ++i) {
    double expected = 0;
    for (st::index f = 0; f < filters; ++f) {
      expected += bias(f);
      for (st::index k = 0; k < 4; ++k) expected += std::clamp(x(i, k), -1.0, 1.0) * weight_matrix(k, f);
    }
    REQUIRE(value(i, 0) == Approx(expected));
  }
  STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(y), st::named("x", x), st::named("weight_matrix", weight_matrix),
                                         st::named("bias", bias)));
}

TEST_CASE("CustomAttention: softmax((x Wq)(x Wk)^T, -1)(x Wv) with a dyn sequence", "[autodiff][seed]") {
  constexpr st::index batch = 2, features = 3, size = 4;
  const st::index seq = 5;  // known only at run time
  auto x = st::testing::uniform<batch, st::dyn, features>({batch, seq, features}, 6);
  auto wq = st::testing::uniform<features, size>({features, size}, 7);
  auto wk = st::testing::uniform<features, size>({features, size}, 8);
  auto wv = st::testing::uniform<features, size>({features, size}, 9);

  auto query = st::matmul(x, wq);
  auto key = st::matmul(x, wk);
  auto value = st::matmul(x, wv);
  auto attention = st::matmul(st::softmax(st::matmul(query, st::transpose(key)), st::axis<-1>), value);
  static_assert(std::is_same_v<decltype(attention)::shape_type, st::shape<batch, st::dyn, size>>);

  // The same computation with plain loops.
  auto project = [&](const auto& w, st::index b, st::index s, st::index a) {
    double sum = 0;
    for (st::index f = 0; f < features; ++f) sum += x(b, s, f) * w(f, a);
    return sum;
  };
  const auto result = st::eval(attention);
  REQUIRE(result.dims() == st::extents<3>{batch, seq, size});
  for (st::index b = 0; b < batch; ++b) {
    for (st::index i = 0; i < seq; ++i) {
      std::vector<double> scores(std::size_t(seq), 0.0);
      for (st::index j = 0; j < seq; ++j)
        for (st::index a = 0; a < size; ++a) scores[std::size_t(j)] += project(wq, b, i, a) * project(wk, b, j, a);
      const double peak = *std::max_element(scores.begin(), scores.end());
      double total = 0;
      for (double& s : scores) total += (s = std::exp(s - peak));
      for (st::index a = 0; a < size; ++a) {
        double expected = 0;
        for (st::index j = 0; j < seq; ++j) expected += scores[std::size_t(j)] / total * project(wv, b, j, a);
        REQUIRE(result(b, i, a) == Approx(expected));
      }
    }
  }
  STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(attention), st::named("x", x), st::named("query_projection", wq),
                                         st::named("key_projection", wk), st::named("value_projection", wv)));

  // A batch whose sequence length differs from the expression's is a run-time shape error.
  auto other = st::testing::uniform<batch, st::dyn, features>({batch, seq + 1, features}, 10);
  REQUIRE_THROWS_AS(st::matmul(st::matmul(x, wq), st::transpose(st::matmul(other, wk))) * st::matmul(x, wv),
                    st::shape_error);
}
