// Tests of strata/layers/reshape.hpp: Flatten and Reshape keep the row-major elements under the
// new extents (the batch axis kept), their static output shapes, a target_shape that disagrees
// with the type, and the layer laws.

#include "support/layer_laws.hpp"

#include <stdexcept>
#include <type_traits>

#include <nlohmann/json.hpp>

#include <strata/layers/reshape.hpp>

namespace st = strata;
using st::dyn;
using st::shape;

namespace {

template <class A, class B>
void require_same_elements(const A& actual, const B& expected) {
  REQUIRE(actual.size() == expected.size());
  for (st::index i = 0; i < actual.size(); ++i) {
    INFO("flat index " << i);
    CHECK(actual.data()[i] == expected.data()[i]);
  }
}

}  // namespace

TEST_CASE("Flatten: (None, 2, 3) → (None, 6) in row-major order", "[layers][reshape]") {
  st::Sequential model(st::input<double, shape<dyn, 2, 3>>{}, st::Flatten{});
  static_assert(std::is_same_v<decltype(model)::output_shape, shape<dyn, 6>>);
  const st::tensor<double, shape<dyn, 2, 3>> x{{{1, 2, 3}, {4, 5, 6}}, {{7, 8, 9}, {10, 11, 12}}};
  const auto y = model(x);
  REQUIRE(y.dims() == st::extents<2>{2, 6});
  for (st::index i = 0; i < 2; ++i)
    for (st::index j = 0; j < 6; ++j) CHECK(y(i, j) == double(6 * i + j + 1));

  // a static batch stays static; rank 4 flattens every axis after the batch
  st::Sequential images(st::input<double, shape<3, 2, 2, 2>>{}, st::Flatten{});
  static_assert(std::is_same_v<decltype(images)::output_shape, shape<3, 8>>);
  const auto im = st::testing::uniform<3, 2, 2, 2>({3, 2, 2, 2}, 1);
  require_same_elements(images(im), im);
}

TEST_CASE("Reshape: static target (3, 2) on (None, 6)", "[layers][reshape]") {
  st::Sequential model(st::input<double, shape<dyn, 6>>{}, st::Reshape<3, 2>{});
  static_assert(std::is_same_v<decltype(model)::output_shape, shape<dyn, 3, 2>>);
  const st::tensor<double, shape<dyn, 6>> x{{1, 2, 3, 4, 5, 6}, {7, 8, 9, 10, 11, 12}};
  const auto y = model(x);
  REQUIRE(y.dims() == st::extents<3>{2, 3, 2});
  CHECK(y(0, 0, 0) == 1);
  CHECK(y(0, 0, 1) == 2);
  CHECK(y(0, 1, 0) == 3);
  CHECK(y(0, 2, 1) == 6);
  CHECK(y(1, 0, 0) == 7);
  CHECK(y(1, 2, 1) == 12);
  require_same_elements(y, x);
}

TEST_CASE("Reshape: a dyn target extent is inferred", "[layers][reshape]") {
  st::Sequential model(st::input<double, shape<dyn, 6>>{}, st::Reshape<dyn, 2>{});
  static_assert(std::is_same_v<decltype(model)::output_shape, shape<dyn, 3, 2>>);  // inferred statically
  const auto x = st::testing::uniform<dyn, 6>({4, 6}, 2);
  const auto y = model(x);
  REQUIRE(y.dims() == st::extents<3>{4, 3, 2});
  require_same_elements(y, x);

  // with run-time features the inferred extent is known at run time only
  st::Sequential run_time(st::input<double, shape<dyn, dyn>>{}, st::Reshape<dyn, 2>{});
  static_assert(std::is_same_v<decltype(run_time)::output_shape, shape<dyn, dyn, 2>>);
  const auto xr = st::testing::uniform<dyn, dyn>({4, 6}, 3);
  const auto yr = run_time(xr);
  REQUIRE(yr.dims() == st::extents<3>{4, 3, 2});
  require_same_elements(yr, xr);
}

TEST_CASE("Reshape: a target_shape that disagrees with the type throws", "[layers][reshape]") {
  st::Reshape<3, 2> layer;
  CHECK(layer.target_shape == std::array<st::index, 2>{3, 2});
  layer.target_shape = {2, 3};
  auto build = [&] { st::Sequential model(st::input<double, shape<dyn, 6>>{}, layer); };
  REQUIRE_THROWS_AS(build(), std::invalid_argument);
  REQUIRE_THROWS_WITH(build(), Catch::Contains("'reshape' (Reshape)") && Catch::Contains("(3, 2)") &&
                                   Catch::Contains("(2, 3)"));
  // from a config as well
  const auto loaded = st::Reshape<3, 2>::from_config({{"target_shape", {6, 1}}});
  REQUIRE_THROWS_AS((st::Sequential(st::input<double, shape<dyn, 6>>{}, loaded)), std::invalid_argument);
}

TEST_CASE("Reshape: get_config writes target_shape, -1 for the inferred extent", "[layers][reshape]") {
  CHECK(st::Reshape<3, 2>{}.get_config()["target_shape"] == nlohmann::json{3, 2});
  CHECK(st::Reshape<dyn, 2>{}.get_config()["target_shape"] == nlohmann::json{-1, 2});
  CHECK(st::Flatten{}.get_config()["data_format"] == "channels_last");
}

TEST_CASE("Flatten and Reshape: keep the layer laws", "[layers][reshape][gradcheck]") {
  st::testing::check_layer_laws(st::Flatten{}, st::testing::uniform<dyn, 2, 3>({2, 2, 3}, 4));
  st::testing::check_layer_laws(st::Flatten{}, st::testing::uniform<2, 2, 3>({2, 2, 3}, 5));
  st::testing::check_layer_laws(st::Reshape<3, 2>{}, st::testing::uniform<dyn, 6>({2, 6}, 6));
  st::testing::check_layer_laws(st::Reshape<dyn, 2>{}, st::testing::uniform<dyn, 6>({3, 6}, 7));
  st::testing::check_layer_laws(st::Reshape<dyn, 2>{}, st::testing::uniform<dyn, dyn>({3, 6}, 8));
  st::testing::check_layer_laws(st::Reshape<6>{}, st::testing::uniform<2, 3, 2>({2, 3, 2}, 9));
}
