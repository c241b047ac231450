// Saving in the TF.js layers-model format and loading back into a static model type: the files
// strata writes, round trips, shards, atomic replacement, and the checks against the type.

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "support/strata_test.hpp"
#include "support/model_files.hpp"

namespace st = strata;
using strata::testing::scratch_folder;

namespace {

using small_model = st::Sequential<st::Input<st::dyn, 6>, st::Dense<8>, st::LayerNormalization,
                                   st::BatchNormalization, st::Dropout, st::Activation, st::Dense<3>>;

small_model make_small_model() {
  small_model model(st::Input<st::dyn, 6>{}, st::Dense<8>{.activation = "relu"}, st::LayerNormalization{},
                    st::BatchNormalization{.momentum = 0.9}, st::Dropout{.rate = 0.25}, st::Activation{"tanh"},
                    st::Dense<3>{.use_bias = false});
  // Moving statistics and offsets that a wrong load would show.
  model.for_each_variable([](const std::string& name, auto& value, bool) {
    for (st::index i = 0; i < value.size(); ++i) {
      if (name.ends_with("moving_mean") || name.ends_with("beta")) value.data()[i] = 0.1f * float(i) - 0.3f;
      if (name.ends_with("moving_variance") || name.ends_with("gamma")) value.data()[i] = 0.5f + 0.1f * float(i);
    }
  });
  return model;
}

st::tensor<float, st::shape<st::dyn, 6>> sample_input() {
  return st::tensor<float, st::shape<st::dyn, 6>>::random_uniform({5, 6}, 7, -1, 1);
}

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

}  // namespace

TEST_CASE("a layer's config field names are a compile-time list") {
  namespace hana = boost::hana;
  static_assert(st::config_fields<st::Dense<>> ==
                hana::make_tuple(BOOST_HANA_STRING("units"), BOOST_HANA_STRING("activation"),
                                 BOOST_HANA_STRING("use_bias"), BOOST_HANA_STRING("kernel_initializer"),
                                 BOOST_HANA_STRING("bias_initializer")));
  static_assert(st::config_fields<st::Dropout> == hana::make_tuple(BOOST_HANA_STRING("rate"), BOOST_HANA_STRING("seed")));
  static_assert(hana::length(st::config_fields<st::Activation>) == hana::size_c<1>);
}

TEST_CASE("save writes model.json and one shard as TF.js does") {
  const auto dir = scratch_folder("save_layout") / "model";
  auto model = make_small_model();
  st::save(model, dir);
  CHECK(std::filesystem::exists(dir / "model.json"));
  CHECK(std::filesystem::exists(dir / "group1-shard1of1.bin"));

  const nlohmann::json document = read_json(dir / "model.json");
  CHECK(document["format"] == "layers-model");
  CHECK(document["generatedBy"].get<std::string>().starts_with("strata "));
  CHECK(document["convertedBy"].is_null());
  const auto& topology = document["modelTopology"];
  CHECK(topology["class_name"] == "Sequential");
  const auto& layers = topology["config"]["layers"];
  REQUIRE(layers.size() == 6);
  CHECK(layers[0]["class_name"] == "Dense");
  CHECK(layers[0]["config"]["batch_input_shape"] == nlohmann::json::parse("[null, 6]"));
  CHECK(layers[0]["config"]["kernel_initializer"] == nlohmann::json::parse(R"({"class_name": "GlorotUniform", "config": {"seed": null}})"));
  CHECK(layers[0]["config"]["activation"] == "relu");
  CHECK(layers[0]["config"]["dtype"] == "float32");
  CHECK(layers[2]["config"]["momentum"] == 0.9);
  CHECK_FALSE(layers[1]["config"].contains("batch_input_shape"));

  // Keras' names and order; the absent bias of the last Dense is not saved.
  const auto& manifest = document["weightsManifest"];
  REQUIRE(manifest.size() == 1);
  CHECK(manifest[0]["paths"] == nlohmann::json::parse(R"(["group1-shard1of1.bin"])"));
  std::vector<std::string> names;
  for (const auto& weight : manifest[0]["weights"]) {
    names.push_back(weight["name"]);
    CHECK(weight["dtype"] == "float32");
  }
  CHECK(names == std::vector<std::string>{"dense/kernel", "dense/bias", "layer_normalization/gamma",
                                          "layer_normalization/beta", "batch_normalization/gamma",
                                          "batch_normalization/beta", "batch_normalization/moving_mean",
                                          "batch_normalization/moving_variance", "dense_1/kernel"});
  CHECK(manifest[0]["weights"][0]["shape"] == nlohmann::json::parse("[6, 8]"));
  // Every value as float32, in that order.
  CHECK(std::filesystem::file_size(dir / "group1-shard1of1.bin") == (48 + 8 + 8 + 8 + 4 * 8 + 24) * sizeof(float));
  std::ifstream shard(dir / "group1-shard1of1.bin", std::ios::binary);
  float first = 0;
  shard.read(reinterpret_cast<char*>(&first), sizeof first);
  float expected_first = 0;
  model.for_each_variable([&](const std::string& name, const auto& value, bool) {
    if (name == "dense/kernel") expected_first = value.data()[0];
  });
  CHECK(first == expected_first);
}

TEST_CASE("load<Model> gives back the same model") {
  const auto dir = scratch_folder("round_trip") / "model";
  auto model = make_small_model();
  model.save(dir);
  auto same = st::load<small_model>(dir);
  const auto x = sample_input();
  const auto expected = model(x);
  const auto found = same(x);
  for (st::index i = 0; i < expected.size(); ++i) CHECK(found.data()[i] == expected.data()[i]);
  CHECK(same.layer<2>().momentum == 0.9);
  CHECK(same.layer<5>().use_bias == false);
  CHECK(same.layer<0>().activation == st::activation("relu"));
  CHECK(same.count_params().non_trainable == 16);
  CHECK(same.get_config() == model.get_config());
}

TEST_CASE("load_weights reads weights into an existing model") {
  const auto dir = scratch_folder("load_weights") / "model";
  auto model = make_small_model();
  st::save(model, dir);
  auto other = make_small_model();
  other.initialize(99);  // different weights
  other.load_weights(dir);
  const auto x = sample_input();
  const auto expected = model(x);
  const auto found = other(x);
  for (st::index i = 0; i < expected.size(); ++i) CHECK(found.data()[i] == expected.data()[i]);
}

TEST_CASE("weights over 4 MiB are cut into shards of 4 MiB") {
  const auto dir = scratch_folder("shards") / "model";
  using big = st::Sequential<st::Input<st::dyn, 1100>, st::Dense<1024>>;  // 1,127,424 values: 4.3 MiB
  big model(st::Input<st::dyn, 1100>{}, st::Dense<1024>{});
  st::save(model, dir);
  CHECK(std::filesystem::file_size(dir / "group1-shard1of2.bin") == 4 * 1024 * 1024);
  CHECK(std::filesystem::file_size(dir / "group1-shard2of2.bin") == 1127424 * 4 - 4 * 1024 * 1024);
  CHECK(read_json(dir / "model.json")["weightsManifest"][0]["paths"].size() == 2);
  auto same = st::load<big>(dir);
  bool equal = true;
  same.for_each_variable([&](const std::string& name, const auto& value, bool) {
    model.for_each_variable([&](const std::string& other_name, const auto& other_value, bool) {
      if (name == other_name)
        equal = equal && std::equal(value.data(), value.data() + value.size(), other_value.data());
    });
  });
  CHECK(equal);
}

TEST_CASE("saving is atomic and replaces only a saved model") {
  const auto root = scratch_folder("atomic");
  auto model = make_small_model();

  SECTION("a model saved again replaces the old files, leaving no temporary folder") {
    st::save(model, root / "model");
    model.initialize(5);
    st::save(model, root / "model");
    auto same = st::load<small_model>(root / "model");
    const auto x = sample_input();
    CHECK(same(x).data()[0] == model(x).data()[0]);
    CHECK(std::distance(std::filesystem::directory_iterator(root), std::filesystem::directory_iterator()) == 1);
  }
  SECTION("a folder of other files is refused and left alone") {
    std::filesystem::create_directories(root / "notes");
    std::ofstream(root / "notes" / "todo.txt") << "keep me";
    CHECK_THROWS_WITH(st::save(model, root / "notes"), Catch::Contains("is not a folder strata may replace"));
    CHECK(std::filesystem::exists(root / "notes" / "todo.txt"));
  }
  SECTION("a failed save (a NaN weight) leaves the old model as it was") {
    st::save(model, root / "model");
    const std::string before = strata::testing::read_file(root / "model" / "group1-shard1of1.bin");
    model.for_each_variable([](const std::string& name, auto& value, bool) {
      if (name == "dense/bias") value.data()[3] = NAN;
    });
    REQUIRE_DATA_ERROR(st::save(model, root / "model"), Catch::Contains("'dense/bias' holds nan at flat index 3"));
    CHECK(strata::testing::read_file(root / "model" / "group1-shard1of1.bin") == before);
    CHECK(std::distance(std::filesystem::directory_iterator(root), std::filesystem::directory_iterator()) == 1);
  }
}

TEST_CASE("load<Model> checks the file against the type") {
  const auto root = scratch_folder("checks");
  st::save(make_small_model(), root / "model");
  const nlohmann::json original = read_json(root / "model" / "model.json");
  auto edited = [&](auto&& edit) {
    nlohmann::json document = original;
    edit(document);
    strata::testing::write_file(root / "model" / "model.json", document.dump());
  };
  auto layers = [](nlohmann::json& document) -> nlohmann::json& {
    return document["modelTopology"]["config"]["layers"];
  };

  SECTION("a config value the type fixes") {
    edited([&](nlohmann::json& d) { layers(d)[0]["config"]["units"] = 12; });
    REQUIRE_DATA_ERROR(st::load<small_model>(root / "model"),
                       Catch::Contains("layer 0 'dense' (Dense)") && Catch::Contains("Dense<8> cannot have units = 12"));
  }
  SECTION("a class name") {
    edited([&](nlohmann::json& d) { layers(d)[1]["class_name"] = "BatchNormalization"; });
    REQUIRE_DATA_ERROR(st::load<small_model>(root / "model"),
                       Catch::Contains("layer 1 'layer_normalization': expected class LayerNormalization"));
  }
  SECTION("the layer count") {
    edited([&](nlohmann::json& d) { layers(d).erase(4); });
    REQUIRE_DATA_ERROR(st::load<small_model>(root / "model"),
                       Catch::Contains("the saved Sequential has 5 layers") && Catch::Contains("the type has 6"));
  }
  SECTION("the input shape") {
    edited([&](nlohmann::json& d) { layers(d)[0]["config"]["batch_input_shape"] = {nullptr, 7}; });
    REQUIRE_DATA_ERROR(st::load<small_model>(root / "model"), Catch::Contains("[null,7]") || Catch::Contains("(None, 7)"));
  }
  SECTION("a config value of the wrong type") {
    edited([&](nlohmann::json& d) { layers(d)[2]["config"]["epsilon"] = "small"; });
    REQUIRE_DATA_ERROR(st::load<small_model>(root / "model"),
                       Catch::Contains("BatchNormalization config field 'epsilon'") && Catch::Contains("\"small\""));
  }
  SECTION("a weight's shape") {
    edited([&](nlohmann::json& d) {
      d["weightsManifest"][0]["weights"][0]["shape"] = {8, 6};
    });
    REQUIRE_DATA_ERROR(st::load<small_model>(root / "model"),
                       Catch::Contains("weight 'dense/kernel': the model expects shape [6, 8], the file has [8, 6]"));
  }
  SECTION("a missing weight") {
    edited([&](nlohmann::json& d) { d["weightsManifest"][0]["weights"][1]["name"] = "dense/offset"; });
    REQUIRE_DATA_ERROR(st::load<small_model>(root / "model"),
                       Catch::Contains("no weight 'dense/bias' of shape [8] in the file"));
  }
  SECTION("load_weights with a bad file changes nothing") {
    edited([&](nlohmann::json& d) { d["weightsManifest"][0]["weights"][8]["shape"] = {4, 6}; });
    auto model = make_small_model();
    const auto x = sample_input();
    const auto before = model(x);
    CHECK_THROWS_AS(model.load_weights(root / "model"), st::data_error);
    const auto after = model(x);
    for (st::index i = 0; i < before.size(); ++i) CHECK(after.data()[i] == before.data()[i]);
  }
}
