// Tests of strata/layers/embedding.hpp: rows of the embedding matrix picked by integer indices,
// the output shape, out-of-range indices, gradients that accumulate over repeated indices, and
// the layer laws with integer input.

#include "support/layer_laws.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>

#include <nlohmann/json.hpp>

#include <strata/layers/embedding.hpp>

namespace st = strata;
using st::dyn;
using st::shape;

namespace {

using tokens = st::tensor<std::int32_t, shape<dyn, dyn>>;

/// Row v of the table is (10·v, 10·v + 1, 10·v + 2): each value names its row and column.
template <class Table>
void number_rows(Table& table) {
  for (st::index v = 0; v < table.dims()[0]; ++v)
    for (st::index d = 0; d < table.dims()[1]; ++d) table(v, d) = typename Table::scalar_type(10 * v + d);
}

}  // namespace

TEST_CASE("Embedding: picks the rows of the embedding matrix at the indices", "[layers][embedding]") {
  st::Sequential model(st::Input<dyn, dyn>::of<std::int32_t>{}, st::Embedding<5, 3>{});
  static_assert(std::is_same_v<decltype(model)::output_shape, shape<dyn, dyn, 3>>);
  static_assert(std::is_same_v<decltype(model)::scalar_type, float>);
  auto& embeddings = std::get<0>(model.weights<0>()).value;
  REQUIRE(embeddings.dims() == st::extents<2>{5, 3});
  number_rows(embeddings);

  const tokens ids{{1, 4, 0}, {2, 2, 3}};
  const auto y = model(ids);
  REQUIRE(y.dims() == st::extents<3>{2, 3, 3});
  for (st::index b = 0; b < 2; ++b)
    for (st::index t = 0; t < 3; ++t)
      for (st::index d = 0; d < 3; ++d) {
        INFO("(" << b << ", " << t << ", " << d << ")");
        CHECK(y(b, t, d) == float(10 * ids(b, t) + d));
      }

  // another sequence length, same model
  const tokens longer{{0, 1, 2, 3, 4}};
  const auto z = model(longer);
  REQUIRE(z.dims() == st::extents<3>{1, 5, 3});
  for (st::index t = 0; t < 5; ++t) CHECK(z(0, t, 2) == float(10 * t + 2));

  CHECK(model.count_params().total == 15);
}

TEST_CASE("Embedding: output shape (None, None, D); run-time dims give (None, None, None)", "[layers][embedding]") {
  st::Sequential model(st::Input<dyn, dyn>::of<std::int32_t>{}, st::Embedding<>{.input_dim = 7, .output_dim = 4});
  static_assert(std::is_same_v<decltype(model)::output_shape, shape<dyn, dyn, dyn>>);
  const auto y = model(tokens{{1, 6}, {0, 3}, {5, 5}});
  CHECK(y.dims() == st::extents<3>{3, 2, 4});
  CHECK(model.summary_string().find("(None, None, 4)") != std::string::npos);

  // a static sequence length stays static; int64 indices work too
  st::Sequential fixed(st::input<std::int64_t, shape<dyn, 2>>{}, st::Embedding<7, 4>{});
  static_assert(std::is_same_v<decltype(fixed)::output_shape, shape<dyn, 2, 4>>);
  CHECK(fixed(st::tensor<std::int64_t, shape<dyn, 2>>{{6, 0}}).dims() == st::extents<3>{1, 2, 4});
}

TEST_CASE("Embedding: an index out of range throws std::out_of_range naming the layer and the index",
          "[layers][embedding]") {
  st::Sequential model(st::Input<dyn, dyn>::of<std::int32_t>{}, st::Embedding<5, 3>{.name = "tokens"});
  REQUIRE_THROWS_AS(model(tokens{{1, 5}}), std::out_of_range);
  REQUIRE_THROWS_WITH(model(tokens{{1, 2}, {0, 5}}), Catch::Contains("'tokens' (Embedding)") &&
                                                         Catch::Contains("index 5") && Catch::Contains("(1, 1)"));
  REQUIRE_THROWS_AS(model(tokens{{-1}}), std::out_of_range);
  REQUIRE_THROWS_WITH(model(tokens{{-1}}), Catch::Contains("index -1"));
  REQUIRE_NOTHROW(model(tokens{{0, 4}}));
}

TEST_CASE("Embedding: gradients of repeated indices accumulate", "[layers][embedding]") {
  st::Sequential model(st::input<std::int32_t, shape<dyn, dyn>, double>{}, st::Embedding<4, 2>{});
  static_assert(std::is_same_v<decltype(model)::scalar_type, double>);
  const tokens ids{{1, 3, 1}, {1, 0, 3}};
  // loss = Σ y ⊙ p with p[b, t, d] = b·30 + t·10 + d + 1: d loss / d row v = Σ of p at the positions of v
  const auto p = st::tensor<double, shape<dyn, dyn, 2>>{{{1, 2}, {11, 12}, {21, 22}}, {{31, 32}, {41, 42}, {51, 52}}};
  model.zero_gradients();
  model.backward(ids, [&](const auto& y) { return st::sum(y * p); });
  const auto& gradient = std::get<0>(model.weights<0>()).gradient;
  // row 1 at (0, 0), (0, 2), (1, 0); row 3 at (0, 1), (1, 2); row 0 at (1, 1); row 2 nowhere
  CHECK(gradient(1, 0) == Approx(1 + 21 + 31));
  CHECK(gradient(1, 1) == Approx(2 + 22 + 32));
  CHECK(gradient(3, 0) == Approx(11 + 51));
  CHECK(gradient(3, 1) == Approx(12 + 52));
  CHECK(gradient(0, 0) == Approx(41));
  CHECK(gradient(0, 1) == Approx(42));
  CHECK(gradient(2, 0) == 0);
  CHECK(gradient(2, 1) == 0);

  // a second backward adds into the gradient
  model.backward(ids, [&](const auto& y) { return st::sum(y * p); });
  CHECK(std::get<0>(model.weights<0>()).gradient(1, 0) == Approx(2 * (1 + 21 + 31)));
}

TEST_CASE("Embedding: get_config has Keras' keys; mask_zero is refused", "[layers][embedding]") {
  const nlohmann::json config = st::Embedding<100, 8>{}.get_config();
  CHECK(config["input_dim"] == 100);
  CHECK(config["output_dim"] == 8);
  CHECK(config["mask_zero"] == false);
  CHECK(config["embeddings_initializer"]["class_name"] == "RandomUniform");
  CHECK(config["name"] == "embedding");

  auto masked = [] { st::Sequential m(st::Input<dyn, dyn>::of<std::int32_t>{}, st::Embedding<5, 3>{.mask_zero = true}); };
  REQUIRE_THROWS_AS(masked(), std::invalid_argument);
  REQUIRE_THROWS_WITH(masked(), Catch::Contains("mask_zero"));
}

TEST_CASE("Embedding: keeps the layer laws with int32 input", "[layers][embedding][gradcheck]") {
  st::testing::check_layer_laws(st::Embedding<6, 3>{}, tokens{{0, 5, 2}, {2, 2, 1}});
  st::testing::check_layer_laws(st::Embedding<6, 3>{}, st::tensor<std::int32_t, shape<2, 4>>{{1, 1, 1, 3}, {4, 0, 5, 1}});
  st::testing::check_layer_laws(st::Embedding<>{.input_dim = 6, .output_dim = 2},
                                st::tensor<std::int32_t, shape<dyn>>{3, 0, 3, 5});
}
