// The command-line tools built from examples/: strata-predict and strata-summary, run on models
// saved here (one with the seed's custom layers), and on bad arguments.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <sys/wait.h>

#include "support/model_files.hpp"
#include "support/strata_test.hpp"

#include "layers/clipping_weighted_sum.hpp"
#include "layers/scaled_exponential.hpp"

namespace st = strata;
using strata::testing::scratch_folder;

namespace {

struct run_result {
  int status = -1;
  std::string output;  // standard output and standard error
};

run_result run(const std::string& command) {
  run_result result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) result.output.append(buffer, n);
  const int status = ::pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string quoted(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

}  // namespace

TEST_CASE("strata-predict runs a saved model with custom layers on a JSON input") {
  const auto root = scratch_folder("tool_predict");
  st::Sequential model(st::Input<st::dyn, 4>{}, ScaledExponential{.scale_factor = 0.5f},
                       ClippingWeightedSum{.num_filters = 5});
  st::save(model, root / "model");
  const auto x = st::tensor<float, st::shape<st::dyn, 4>>::random_uniform({3, 4}, 11, -1, 1);
  st::write_tensor_json(root / "input.json", {{3, 4}, {x.data(), x.data() + x.size()}});

  const auto result = run(fmt::format("{} {} {} {}", STRATA_PREDICT, quoted(root / "model"), quoted(root / "input.json"),
                                      quoted(root / "output.json")));
  INFO(result.output);
  REQUIRE(result.status == 0);
  const st::dynamic_tensor y = st::read_tensor_json(root / "output.json");
  const auto expected = model(x);
  REQUIRE(y.shape == std::vector<st::index>{3, 1});
  for (st::index i = 0; i < expected.size(); ++i) CHECK(y.values[std::size_t(i)] == Approx(expected.data()[i]).margin(1e-6));

  SECTION("an input of the wrong shape") {
    st::write_tensor_json(root / "wrong.json", {{3, 5}, std::vector<float>(15)});
    const auto wrong = run(fmt::format("{} {} {} {}", STRATA_PREDICT, quoted(root / "model"),
                                       quoted(root / "wrong.json"), quoted(root / "out2.json")));
    CHECK(wrong.status == 1);
    CHECK_THAT(wrong.output, Catch::Contains("strata-predict:") && Catch::Contains("must have shape (None, 4), found (3, 5)"));
    CHECK_FALSE(std::filesystem::exists(root / "out2.json"));
  }
  SECTION("a malformed input file") {
    strata::testing::write_file(root / "bad.json", R"({"shape": [3, 4], "data": [1, 2]})");
    const auto bad = run(fmt::format("{} {} {} {}", STRATA_PREDICT, quoted(root / "model"), quoted(root / "bad.json"),
                                     quoted(root / "out3.json")));
    CHECK(bad.status == 1);
    CHECK_THAT(bad.output, Catch::Contains("bad.json: \"data\" must be a list of 12 numbers"));
  }
  SECTION("no such model") {
    const auto missing = run(fmt::format("{} {} {} {}", STRATA_PREDICT, quoted(root / "nothing"),
                                         quoted(root / "input.json"), quoted(root / "out4.json")));
    CHECK(missing.status == 1);
    CHECK_THAT(missing.output, Catch::Contains("holds no model.json"));
  }
  SECTION("wrong arguments") {
    const auto usage = run(STRATA_PREDICT);
    CHECK(usage.status == 2);
    CHECK_THAT(usage.output, Catch::Contains("usage: strata-predict MODEL_DIR INPUT.json OUTPUT.json"));
  }
}

TEST_CASE("strata-summary prints the summary of any saved model") {
  const auto root = scratch_folder("tool_summary");
  st::Sequential model(st::Input<st::dyn, 8>{}, st::Dense<16>{.activation = "relu"}, st::BatchNormalization{},
                       st::Dense<2>{});
  st::save(model, root / "model");
  const auto result = run(fmt::format("{} {}", STRATA_SUMMARY, quoted(root / "model")));
  REQUIRE(result.status == 0);
  CHECK(result.output == "Input shape: (None, 8)\n" + model.summary_string());
  CHECK_THAT(result.output, Catch::Contains("batch_normalization (BatchNormalization)") &&
                                Catch::Contains("Non-trainable params: 32"));

  const auto usage = run(STRATA_SUMMARY);
  CHECK(usage.status == 2);
}
