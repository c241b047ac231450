// Losses: values against Keras' documented examples and closed forms, gradients against finite
// differences, and the shape and label errors.

#include <cmath>
#include <cstdint>
#include <limits>

#include "support/strata_test.hpp"

namespace st = strata;
using Catch::Detail::Approx;
using Catch::Matchers::Contains;
using matrix = st::tensor<float, st::shape<st::dyn, st::dyn>>;
using matrix_d = st::tensor<double, st::shape<st::dyn, st::dyn>>;
using labels = st::tensor<std::int32_t, st::shape<st::dyn>>;

TEST_CASE("regression losses match Keras' examples", "[losses]") {
  const matrix y_true{{0, 1}, {0, 0}};
  const matrix y_pred{{1, 1}, {1, 0}};
  CHECK(st::loss::value_of(st::loss::mean_squared_error{}(y_pred, y_true)) == Approx(0.5));
  CHECK(st::loss::value_of(st::loss::mean_absolute_error{}(y_pred, y_true)) == Approx(0.5));

  const matrix soft{{0.6f, 0.4f}, {0.4f, 0.6f}};
  CHECK(st::loss::value_of(st::loss::huber{}(soft, y_true)) == Approx(0.155).epsilon(1e-6));
  // delta = 0.5: |e| = 0.6, 0.6, 0.4, 0.6 → 0.5·(0.6 - 0.25) ×3 and ½·0.16, averaged
  CHECK(st::loss::value_of(st::loss::huber{.delta = 0.5}(soft, y_true)) ==
        Approx((3 * 0.5 * (0.6 - 0.25) + 0.5 * 0.16) / 4).epsilon(1e-6));
}

TEST_CASE("cross-entropies match Keras' examples", "[losses]") {
  SECTION("binary, from probabilities and from logits") {
    const matrix y_true{{0, 1}, {0, 0}};
    const matrix y_pred{{0.6f, 0.4f}, {0.4f, 0.6f}};
    CHECK(st::loss::value_of(st::loss::binary_crossentropy{}(y_pred, y_true)) == Approx(0.81492424).epsilon(1e-6));
    const st::tensor<float, st::shape<st::dyn>> z{0, 1, 0, 0};
    const st::tensor<float, st::shape<st::dyn>> logits{-18.6f, 0.51f, 2.94f, -12.8f};
    // softplus(x) - x·z, averaged (Keras' docs round it to 0.865)
    double expected = 0;
    for (int i = 0; i < 4; ++i) expected += std::log1p(std::exp(double(logits(i)))) - double(logits(i)) * z(i);
    CHECK(st::loss::value_of(st::loss::binary_crossentropy{.from_logits = true}(logits, z)) ==
          Approx(expected / 4).epsilon(1e-6));
    CHECK(expected / 4 == Approx(0.86547).epsilon(1e-4));
  }
  SECTION("categorical and sparse categorical agree on one-hot targets") {
    const matrix y_true{{0, 1, 0}, {0, 0, 1}};
    const labels classes{1, 2};
    const matrix y_pred{{0.05f, 0.95f, 0.0f}, {0.1f, 0.8f, 0.1f}};
    const double expected = -(std::log(0.95) + std::log(0.1)) / 2;  // 1.1769392
    CHECK(st::loss::value_of(st::loss::categorical_crossentropy{}(y_pred, y_true)) == Approx(expected).epsilon(1e-6));
    CHECK(st::loss::value_of(st::loss::sparse_categorical_crossentropy{}(y_pred, classes)) ==
          Approx(expected).epsilon(1e-6));
  }
  SECTION("from logits: log-softmax, stable for large logits") {
    const matrix logits{{1000, 0, -1000}, {2, 1, 0}};
    const matrix one_hot{{1, 0, 0}, {0, 0, 1}};
    const labels classes{0, 2};
    const double second = std::log(std::exp(2.0) + std::exp(1.0) + 1.0);  // -log softmax(x)[2]
    const double expected = (0.0 + second) / 2;
    const float categorical =
        st::loss::value_of(st::loss::categorical_crossentropy{.from_logits = true}(logits, one_hot));
    const float sparse =
        st::loss::value_of(st::loss::sparse_categorical_crossentropy{.from_logits = true}(logits, classes));
    CHECK(std::isfinite(categorical));
    CHECK(categorical == Approx(expected).epsilon(1e-6));
    CHECK(sparse == Approx(expected).epsilon(1e-6));
  }
  SECTION("probabilities of 0 and 1 are clipped to Keras' epsilon") {
    const matrix y_true{{1, 0}};
    const matrix y_pred{{0, 1}};
    // 1 - 1e-7 rounds to 1 - 2⁻²³ in float, so the second term is -log(2⁻²³)
    CHECK(st::loss::value_of(st::loss::binary_crossentropy{}(y_pred, y_true)) ==
          Approx((-std::log(1e-7) - std::log(1.0 - double(1.0f - 1e-7f))) / 2).epsilon(1e-5));
    const labels classes{0};
    CHECK(st::loss::value_of(st::loss::sparse_categorical_crossentropy{}(y_pred, classes)) ==
          Approx(-std::log(1e-7)).epsilon(1e-4));
  }
  SECTION("categorical from probabilities normalises each row first") {
    const matrix y_true{{0, 1}};
    const matrix unnormalised{{1, 3}};  // p = (0.25, 0.75)
    CHECK(st::loss::value_of(st::loss::categorical_crossentropy{}(unnormalised, y_true)) ==
          Approx(-std::log(0.75)).epsilon(1e-6));
  }
}

TEST_CASE("every loss passes a gradient check", "[losses][gradcheck]") {
  auto prediction = st::testing::uniform<st::dyn, st::dyn>({4, 3}, 11, -2, 2);
  const auto target = st::testing::uniform<st::dyn, st::dyn>({4, 3}, 12, -2, 2);
  auto probability = st::testing::uniform<st::dyn, st::dyn>({4, 3}, 13, 0.05, 0.95);
  const auto binary_target = st::testing::uniform<st::dyn, st::dyn>({4, 3}, 14, 0, 1);
  const st::tensor<std::int64_t, st::shape<st::dyn>> classes{2, 0, 1, 2};
  const matrix_d one_hot{{0, 0, 1}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}};

  STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::loss::mean_squared_error{}(prediction, target), st::named("y", prediction)));
  STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::loss::mean_absolute_error{}(prediction, target), st::named("y", prediction)));
  STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::loss::huber{.delta = 0.7}(prediction, target), st::named("y", prediction)));
  STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::loss::binary_crossentropy{.from_logits = true}(prediction, binary_target),
                                         st::named("logits", prediction)));
  STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::loss::binary_crossentropy{}(probability, binary_target),
                                         st::named("p", probability)));
  STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::loss::categorical_crossentropy{.from_logits = true}(prediction, one_hot),
                                         st::named("logits", prediction)));
  STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::loss::categorical_crossentropy{}(probability, one_hot),
                                         st::named("p", probability)));
  STRATA_REQUIRE_GRADIENTS(st::gradcheck(
      st::loss::sparse_categorical_crossentropy{.from_logits = true}(prediction, classes), st::named("logits", prediction)));
  STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::loss::sparse_categorical_crossentropy{}(probability, classes),
                                         st::named("p", probability)));
}

TEST_CASE("the gradient of sparse cross-entropy from logits is (softmax - one_hot) / batch", "[losses]") {
  const matrix_d logits{{1, 2, 3}, {0, 0, 0}};
  const st::tensor<std::int32_t, st::shape<st::dyn>> classes{2, 1};
  const auto [value, gradients] =
      st::value_and_grad(st::loss::sparse_categorical_crossentropy{.from_logits = true}(logits, classes), logits);
  const auto& g = std::get<0>(gradients);
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  CHECK(g(0, 0) == Approx(std::exp(1.0) / z / 2));
  CHECK(g(0, 2) == Approx((std::exp(3.0) / z - 1) / 2));
  CHECK(g(1, 1) == Approx((1.0 / 3 - 1) / 2));
  CHECK(value == Approx((std::log(z) - 3 + std::log(3.0)) / 2));
}

TEST_CASE("losses reject targets that do not fit", "[losses][errors]") {
  const matrix y_pred(matrix::extents_type{2, 3});
  const matrix wrong(matrix::extents_type{3, 2});
  CHECK_THROWS_AS(st::loss::mean_squared_error{}(y_pred, wrong), st::shape_error);
  CHECK_THROWS_WITH(st::loss::categorical_crossentropy{}(y_pred, wrong),
                    Contains("categorical_crossentropy") && Contains("(3, 2)") && Contains("(2, 3)"));
  const labels too_many{0, 1, 2};
  CHECK_THROWS_WITH(st::loss::sparse_categorical_crossentropy{}(y_pred, too_many), Contains("pick"));
  const labels out_of_range{0, 3};
  CHECK_THROWS_WITH(st::loss::value_of(st::loss::sparse_categorical_crossentropy{}(y_pred, out_of_range)),
                    Contains("label 3") && Contains("3 classes"));
}

TEST_CASE("pick takes one entry per row and scatters its gradient back", "[pick][gradcheck]") {
  auto x = st::testing::uniform<st::dyn, st::dyn, 4>({2, 3, 4}, 21);
  const st::tensor<std::int32_t, st::shape<st::dyn, st::dyn>> chosen{{0, 3, 1}, {2, 2, 0}};
  const auto picked = st::eval(st::pick(x, chosen));
  STATIC_REQUIRE(std::is_same_v<decltype(picked)::shape_type, st::shape<st::dyn, st::dyn>>);
  CHECK(picked(0, 1) == x(0, 1, 3));
  CHECK(picked(1, 2) == x(1, 2, 0));
  STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::pick(st::exp(x), chosen)), st::named("x", x)));
}
