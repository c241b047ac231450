// Checkpoints: a round trip of weights and optimizer state (training resumes exactly), and the
// errors for files that do not fit the model, leaving it unchanged.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/strata_test.hpp"

namespace st = strata;
using Catch::Matchers::Contains;
using points = st::tensor<float, st::shape<st::dyn, 3>>;
using labels = st::tensor<std::int32_t, st::shape<st::dyn>>;

namespace {

auto make_model() {
  return st::Sequential(st::Input<st::dyn, 3>{}, st::Dense<5>{.activation = "relu"}, st::BatchNormalization{},
                        st::Dense<2>{});
}

std::filesystem::path scratch(const std::string& name) {
  const auto directory = std::filesystem::temp_directory_path() / "strata_checkpoint_test";
  std::filesystem::create_directories(directory);
  return directory / name;
}

std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

template <class A, class B>
bool same_values(const A& a, const B& b) {
  return a.dims() == b.dims() && std::equal(a.begin(), a.end(), b.begin());
}

const points x = points::random_uniform({32, 3}, 1);
const labels y = [] {
  labels result(labels::extents_type{32});
  for (st::index i = 0; i < 32; ++i) result(i) = x(i, 0) + x(i, 1) > 0 ? 1 : 0;
  return result;
}();
const st::loss::sparse_categorical_crossentropy loss{.from_logits = true};

}  // namespace

TEST_CASE("a checkpoint restores weights, moving statistics and the optimizer's state", "[checkpoint]") {
  auto model = make_model();
  st::optimizer adam(st::optim::adam{.learning_rate = 0.01});
  model.fit(x, y, loss, adam, {.epochs = 2, .batch_size = 8, .verbose = st::verbosity::silent});
  const auto path = scratch("run.ckpt");
  st::save_checkpoint(path, model, adam);
  for (const auto& entry : std::filesystem::directory_iterator(path.parent_path()))  // no temporary left behind
    CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);

  auto resumed = make_model();
  resumed.initialize(12345);
  st::optimizer resumed_adam(st::optim::adam{.learning_rate = 0.01});
  st::load_checkpoint(path, resumed, resumed_adam);
  CHECK(resumed_adam.iterations() == adam.iterations());
  CHECK(same_values(resumed.predict(x), model.predict(x)));

  // One more epoch from both gives the same weights: the moments came back too.
  model.fit(x, y, loss, adam, {.epochs = 1, .batch_size = 8, .shuffle = false, .verbose = st::verbosity::silent});
  resumed.fit(x, y, loss, resumed_adam, {.epochs = 1, .batch_size = 8, .shuffle = false, .verbose = st::verbosity::silent});
  CHECK(same_values(resumed.predict(x), model.predict(x)));

  SECTION("weights only") {
    auto other = make_model();
    other.initialize(7);
    st::load_checkpoint(path, other);
    auto reference = make_model();
    st::load_checkpoint(path, reference);
    CHECK(same_values(other.predict(x), reference.predict(x)));
  }
}

TEST_CASE("a checkpoint that does not fit is rejected, naming the file and the problem", "[checkpoint][errors]") {
  auto model = make_model();
  st::optimizer adam(st::optim::adam{});
  model.fit(x, y, loss, adam, {.epochs = 1, .batch_size = 8, .verbose = st::verbosity::silent});
  const auto path = scratch("good.ckpt");
  st::save_checkpoint(path, model, adam);
  const std::string bytes = read_bytes(path);
  const auto before = model.predict(x);
  auto rejects = [&](const std::string& content, const std::string& expected) {
    const auto bad = scratch("bad.ckpt");
    write_bytes(bad, content);
    CHECK_THROWS_AS(st::load_checkpoint(bad, model, adam), st::data_error);
    CHECK_THROWS_WITH(st::load_checkpoint(bad, model, adam), Contains("bad.ckpt") && Contains(expected));
    CHECK(same_values(model.predict(x), before));
  };

  rejects(bytes.substr(0, bytes.size() - 5), "truncated");
  rejects("not a checkpoint\n{}", "not a strata checkpoint");
  rejects(bytes.substr(0, 20), "header line is missing");
  rejects("strata-checkpoint 1\n{\"variables\": 3\n", "malformed header");
  std::string with_nan = bytes;
  const float nan = std::nanf("");
  std::memcpy(with_nan.data() + bytes.find('\n', 20) + 1, &nan, sizeof nan);
  rejects(with_nan, "non-finite");
  CHECK_THROWS_WITH(st::load_checkpoint(scratch("missing.ckpt"), model), Contains("missing.ckpt") && Contains("cannot open"));

  SECTION("bad optimizer state is rejected before the model or the optimizer changes") {
    const std::int64_t steps_before = adam.iterations();
    const std::size_t header_end = bytes.find('\n', 20);
    const std::string header = bytes.substr(20, header_end - 20);
    auto with_header = [&](std::string from, std::string to) {
      std::string changed = header;
      changed.replace(changed.find(from), from.size(), to);
      return bytes.substr(0, 20) + changed + bytes.substr(header_end);
    };
    rejects(with_header("dense/kernel/m", "dense/kernel/q"), "optimizer slot 'dense/kernel/q' is not one of Adam's");
    rejects(with_header("dense/kernel/m", "dense/kernal/m"), "is for no weight of the model");
    rejects(with_header("\"iterations\":4", "\"iterations\":-4"), "step count is negative");
    rejects(with_header("\"size\":15}", "\"size\":4611686018427387904}"), "4611686018427387904 values, its weight 15");
    std::string nan_in_slot = bytes;
    std::memcpy(nan_in_slot.data() + nan_in_slot.size() - sizeof nan, &nan, sizeof nan);  // the last slot value
    rejects(nan_in_slot, "non-finite");
    CHECK(adam.iterations() == steps_before);
  }
  SECTION("a model of another shape") {
    auto wider = st::Sequential(st::Input<st::dyn, 3>{}, st::Dense<6>{.activation = "relu"}, st::BatchNormalization{},
                                st::Dense<2>{});
    CHECK_THROWS_WITH(st::load_checkpoint(path, wider), Contains("'dense/kernel' has shape (3, 5)") &&
                                                            Contains("expects (3, 6)"));
  }
  SECTION("another optimizer") {
    st::optimizer sgd(st::optim::sgd{});
    CHECK_THROWS_WITH(st::load_checkpoint(path, model, sgd), Contains("its optimizer is Adam, not SGD"));
  }
}
