// Layer config: declared once with STRATA_CONFIG, reflected at compile time, Keras' get_config
// and from_config.

#include <boost/hana/equal.hpp>

#include "support/strata_test.hpp"

namespace st = strata;
namespace hana = boost::hana;

namespace {

struct Scaled {
  STRATA_CONFIG(Scaled, (float, scale_factor, 1.0f), (std::string, mode, "fast"), (st::index, units, 3));
};

struct NoFields {
  STRATA_CONFIG(NoFields);
};

template <st::index Units>
struct Templated {
  STRATA_CONFIG(Templated, (st::index, units, Units), (::strata::activation, activation, "relu"));
};

/// A layer's field names as a compile-time tuple of Hana strings (the layer need not be constexpr).
template <class Layer>
constexpr auto field_names = decltype(hana::keys(std::declval<Layer>())){};

}  // namespace

TEST_CASE("config: field names are a compile-time list in declaration order") {
  static_assert(field_names<Scaled> ==
                hana::make_tuple(BOOST_HANA_STRING("scale_factor"), BOOST_HANA_STRING("mode"), BOOST_HANA_STRING("units")));
  static_assert(hana::length(field_names<NoFields>) == hana::size_c<0>);
  static_assert(field_names<Templated<4>> == hana::make_tuple(BOOST_HANA_STRING("units"), BOOST_HANA_STRING("activation")));
  static_assert(std::string_view(Scaled::class_name) == "Scaled");
  static_assert(std::string_view(Templated<2>::class_name) == "Templated");
}

TEST_CASE("config: designated initializers set fields; the rest keep their defaults") {
  const Scaled layer{.scale_factor = 0.5f, .units = 7, .name = "mine"};
  CHECK(layer.scale_factor == 0.5f);
  CHECK(layer.mode == "fast");
  CHECK(layer.units == 7);
  CHECK(layer.name == "mine");
  CHECK(layer.trainable);
  CHECK(Templated<9>{}.units == 9);
}

TEST_CASE("config: get_config writes Keras' base fields, then the fields") {
  const nlohmann::json config = Scaled{.scale_factor = 0.25f}.get_config();
  CHECK(config == nlohmann::json{{"name", "scaled"},
                                 {"trainable", true},
                                 {"dtype", "float32"},
                                 {"scale_factor", 0.25},
                                 {"mode", "fast"},
                                 {"units", 3}});
  CHECK(st::get_config(Templated<2>{.trainable = false}, "float64") ==
        nlohmann::json{{"name", "templated"}, {"trainable", false}, {"dtype", "float64"}, {"units", 2}, {"activation", "relu"}});
  CHECK(NoFields{.name = "n"}.get_config() == nlohmann::json{{"name", "n"}, {"trainable", true}, {"dtype", "float32"}});
}

TEST_CASE("config: from_config reads fields back, keeps defaults for absent keys, ignores unknown ones") {
  const Scaled original{.scale_factor = 2.0f, .mode = "slow", .units = 11, .name = "s", .trainable = false};
  const Scaled copy = Scaled::from_config(original.get_config());
  CHECK(copy.get_config() == original.get_config());

  const Scaled partial = Scaled::from_config({{"mode", "exact"}, {"extra_key_keras_writes", 1}});
  CHECK(partial.mode == "exact");
  CHECK(partial.scale_factor == 1.0f);
  CHECK(partial.units == 3);
}

TEST_CASE("config: a value of the wrong type names the layer, the field and the value") {
  CHECK_THROWS_WITH(Scaled::from_config({{"units", "three"}}),
                    Catch::Contains("Scaled") && Catch::Contains("'units'") && Catch::Contains("\"three\""));
  CHECK_THROWS_WITH(Templated<2>::from_config({{"activation", "sigmoidal"}}),
                    Catch::Contains("'activation'") && Catch::Contains("sigmoidal"));
  CHECK_THROWS_WITH(Scaled::from_config(nlohmann::json::array()), Catch::Contains("must be a JSON object"));
}

TEST_CASE("config: a layer nests in JSON as {class_name, config}") {
  const nlohmann::json nested = Scaled{.units = 5};
  CHECK(nested["class_name"] == "Scaled");
  CHECK(nested["config"]["units"] == 5);
  CHECK(nested.get<Scaled>().units == 5);
  nlohmann::json wrong = nested;
  wrong["class_name"] = "Dense";
  CHECK_THROWS_WITH(wrong.get<Scaled>(), Catch::Contains("expected a layer of class Scaled"));
}

TEST_CASE("config: Keras' default names are the snake_case class names") {
  CHECK(st::snake_case("Dense") == "dense");
  CHECK(st::snake_case("LayerNormalization") == "layer_normalization");
  CHECK(st::snake_case("ScaledExponential") == "scaled_exponential");
  CHECK(st::snake_case("Conv2D") == "conv2d");
  CHECK(st::snake_case("GRUCell") == "gru_cell");
}
