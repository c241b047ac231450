// Loads the models TF.js saved (write_models.js) into strata, statically (into the case's C++
// type, checked) and at run time (load_dynamic), and compares both predictions with TF.js's.
// The folder comes from the environment: STRATA_INTEROP_TFJS_DIR (ctest sets it).

#include <cstdlib>
#include <filesystem>

#include "support/strata_test.hpp"

#include "cases.hpp"

STRATA_REGISTER_LAYER(ScaledExponential);
STRATA_REGISTER_LAYER(ClippingWeightedSum);
STRATA_REGISTER_LAYER(CustomAttention<>);

namespace {
namespace st = strata;

std::filesystem::path case_dir(const std::string& name) {
  const char* root = std::getenv("STRATA_INTEROP_TFJS_DIR");
  REQUIRE(root != nullptr);
  return std::filesystem::path(root) / name;
}

template <class Model>
void check_case(const std::string& name) {
  const auto dir = case_dir(name);
  const st::dynamic_tensor x = st::read_tensor_json(dir / "input.json");
  const st::dynamic_tensor expected = st::read_tensor_json(dir / "expected.json");

  auto model = st::load<Model>(dir / "model");
  const st::dynamic_tensor by_type = interop::to_dynamic(model.predict(interop::to_input<Model>(x)));
  INFO(name << " (static): worst difference " << interop::worst_difference(by_type, expected));
  CHECK(interop::worst_difference(by_type, expected) <= interop::tolerance);

  auto any = st::load_dynamic(dir / "model");
  const st::dynamic_tensor at_run_time = any.predict(x);
  INFO(name << " (dynamic): worst difference " << interop::worst_difference(at_run_time, expected));
  CHECK(interop::worst_difference(at_run_time, expected) <= interop::tolerance);
  CHECK(interop::worst_difference(at_run_time, by_type) <= 1e-6);  // one implementation
}

}  // namespace

TEST_CASE("models saved by TF.js load in strata and predict as TF.js does") {
  SECTION("mlp") { check_case<interop::mlp>("mlp"); }
  SECTION("activations") { check_case<interop::activations>("activations"); }
  SECTION("normalization") { check_case<interop::normalization>("normalization"); }
  SECTION("dropout") { check_case<interop::dropout>("dropout"); }
  SECTION("embedding") { check_case<interop::embedding>("embedding"); }
  SECTION("custom") { check_case<interop::custom>("custom"); }
  SECTION("attention") { check_case<interop::attention>("attention"); }
  SECTION("large: two shards") {
    CHECK(std::filesystem::exists(case_dir("large") / "model" / "group1-shard2of2.bin"));
    check_case<interop::large>("large");
  }
}

TEST_CASE("a model TF.js saved keeps its names and configs through strata") {
  auto any = st::load_dynamic(case_dir("normalization") / "model");
  CHECK(any.name() == "normalization");
  REQUIRE(any.layer_count() == 4);
  CHECK(any.layer(2).class_name() == "BatchNormalization");
  // TF.js lists trainable weights first; strata matched them by name and saves in Keras' order.
  std::vector<std::string> names;
  any.for_each_variable([&](const std::string& name, const auto&, bool) { names.push_back(name); });
  CHECK(names[4] == "batch_normalization/gamma");
  CHECK(names[6] == "batch_normalization/moving_mean");
}
