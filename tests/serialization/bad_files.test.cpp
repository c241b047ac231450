// Bad saved models: every one is a strata::data_error naming the file and what was expected,
// never a crash, and never a model half loaded.

#include <filesystem>
#include <string>

#include "support/model_files.hpp"
#include "support/strata_test.hpp"

namespace st = strata;
using strata::testing::read_file;
using strata::testing::scratch_folder;
using strata::testing::write_file;

namespace {

using model_type = st::Sequential<st::Input<st::dyn, 4>, st::Dense<3>, st::BatchNormalization>;

/// A good saved model in a fresh folder, and its model.json parsed.
struct saved {
  std::filesystem::path dir;
  nlohmann::json document;

  explicit saved(const std::string& name) : dir(scratch_folder(name) / "model") {
    st::save(model_type(st::Input<st::dyn, 4>{}, st::Dense<3>{}, st::BatchNormalization{}), dir);
    document = nlohmann::json::parse(read_file(dir / "model.json"));
  }
  void rewrite() const { write_file(dir / "model.json", document.dump()); }
  [[nodiscard]] std::string shard() const { return (dir / "group1-shard1of1.bin").string(); }
};

/// Both loaders must reject the folder with a data_error matching `matcher`.
template <class Matcher>
void require_rejected(const std::filesystem::path& dir, const Matcher& matcher) {
  REQUIRE_DATA_ERROR(st::load<model_type>(dir), matcher);
  REQUIRE_DATA_ERROR(st::load_dynamic(dir), matcher);
}

}  // namespace

TEST_CASE("missing and truncated files") {
  saved model("bad_missing");
  const std::string model_json = (model.dir / "model.json").string();

  SECTION("no model.json") {
    std::filesystem::remove(model.dir / "model.json");
    require_rejected(model.dir, Catch::Contains("holds no model.json"));
  }
  SECTION("no shard") {
    std::filesystem::remove(model.shard());
    require_rejected(model.dir, Catch::Contains("cannot open the weight file") && Catch::Contains("group1-shard1of1.bin"));
  }
  SECTION("a truncated shard") {
    write_file(model.shard(), read_file(model.shard()).substr(0, 20));
    require_rejected(model.dir, Catch::Contains(model_json) && Catch::Contains("lists 108 bytes") &&
                                    Catch::Contains("hold 20 bytes"));
  }
  SECTION("a shard longer than the manifest") {
    write_file(model.shard(), read_file(model.shard()) + "xxxx");
    require_rejected(model.dir, Catch::Contains("hold 112 bytes"));
  }
  SECTION("malformed JSON, with the byte offset") {
    write_file(model.dir / "model.json", R"({"format": "layers-model", "modelTopology": {)");
    require_rejected(model.dir, Catch::Contains(model_json + ": malformed JSON at byte"));
  }
  SECTION("a NaN weight") {
    std::string bytes = read_file(model.shard());
    const float nan = NAN;
    bytes.replace(13 * sizeof(float), sizeof(float), reinterpret_cast<const char*>(&nan), sizeof(float));
    write_file(model.shard(), bytes);
    require_rejected(model.dir, Catch::Contains("weight 'dense/bias' holds nan at flat index 1"));
  }
}

TEST_CASE("model.json fields of the wrong kind") {
  saved model("bad_fields");
  auto& weights = model.document["weightsManifest"][0]["weights"];

  SECTION("no modelTopology") {
    model.document.erase("modelTopology");
    model.rewrite();
    require_rejected(model.dir, Catch::Contains("expected a field \"modelTopology\""));
  }
  SECTION("a graph model") {
    model.document["format"] = "graph-model";
    model.rewrite();
    require_rejected(model.dir, Catch::Contains("TF.js graph model"));
  }
  SECTION("weightsManifest not a list") {
    model.document["weightsManifest"] = {{"paths", "x"}};
    model.rewrite();
    require_rejected(model.dir, Catch::Contains("weightsManifest: expected a list of weight groups"));
  }
  SECTION("a dtype other than float32") {
    weights[0]["dtype"] = "int8";
    model.rewrite();
    require_rejected(model.dir, Catch::Contains("('dense/kernel').dtype: expected \"float32\", found string \"int8\""));
  }
  SECTION("quantized weights") {
    weights[1]["quantization"] = {{"dtype", "uint8"}, {"scale", 0.1}, {"min", 0}};
    model.rewrite();
    require_rejected(model.dir, Catch::Contains("quantized weights are not supported"));
  }
  SECTION("a shard path outside the folder") {
    model.document["weightsManifest"][0]["paths"][0] = "../group1-shard1of1.bin";
    model.rewrite();
    require_rejected(model.dir, Catch::Contains("a file name inside the model's folder"));
  }
  SECTION("a shape too large to hold") {
    weights[0]["shape"] = {2147483648LL, 2147483648LL};
    model.rewrite();
    require_rejected(model.dir, Catch::Contains("at most 2^40 values"));
  }
  SECTION("a negative extent") {
    weights[0]["shape"] = {-4, 3};
    model.rewrite();
    require_rejected(model.dir, Catch::Contains("extents that are whole numbers from 0 to 2^31"));
  }
  SECTION("layers that are not {class_name, config}") {
    model.document["modelTopology"]["config"]["layers"][1] = "BatchNormalization";
    model.rewrite();
    require_rejected(model.dir, Catch::Contains("layers[1] of the Sequential config must be"));
  }
  SECTION("an unknown class name") {
    model.document["modelTopology"]["config"]["layers"][1]["class_name"] = "Conv7D";
    model.rewrite();
    REQUIRE_DATA_ERROR(st::load_dynamic(model.dir), Catch::Contains("unknown layer class \"Conv7D\"; the registered ones are"));
  }
  SECTION("a config asking for more weights than the file holds") {
    model.document["modelTopology"]["config"]["layers"][0]["config"]["units"] = 1000000000;
    model.rewrite();
    REQUIRE_DATA_ERROR(st::load_dynamic(model.dir),
                       Catch::Contains("layer 0 'dense' (Dense): weight 'dense/kernel' of shape (4, 1000000000) would "
                                       "hold more values than the file's weights"));
  }
  SECTION("an input shape beyond the limits") {
    model.document["modelTopology"]["config"]["layers"][0]["config"]["batch_input_shape"] = {nullptr, 100000000};
    model.rewrite();
    require_rejected(model.dir, Catch::Contains("must be null or a whole number from 0 to 2^24"));
  }
  SECTION("a config value of the wrong type, at run time") {
    model.document["modelTopology"]["config"]["layers"][1]["config"]["center"] = "yes";
    model.rewrite();
    require_rejected(model.dir, Catch::Contains("BatchNormalization config field 'center'"));
  }
}
