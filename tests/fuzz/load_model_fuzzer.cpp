// libFuzzer target for the saved-model loader (scripts/run-fuzz.sh builds and runs it).
//
// Input: model.json's text, a NUL byte, then the weight data (every shard, concatenated in
// manifest order); without a NUL, all of it is model.json and there is no weight data. The
// seeds in tests/fuzz/corpus/ are models strata saved, in that form, and hand-edited variants.
//
// The bytes go through strata::parse_layers_model, and what parses through strata::load_dynamic
// (the built-in layers and the seed's custom layers) and strata::load<static_model>. A model
// that loads predicts once, on an input of its input shape (dyn extents: 2), and is saved and
// read back in memory (the JSON and bytes strata::save would write), which must load again.
//
// strata promises that every problem with a file is a strata::data_error, so that is the only
// exception caught, and only around loading; anything else escaping (std::out_of_range,
// nlohmann::json::exception, std::bad_alloc, ...) is a finding, and so is any exception from a
// predict (the input fits the model, so a model that cannot run it should not have loaded), a
// sanitizer report, a failed assertion, a hang (-timeout) and an out-of-memory (-rss_limit_mb).
// No file IO.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <strata/strata.hpp>

#include "layers/clipping_weighted_sum.hpp"
#include "layers/custom_attention.hpp"
#include "layers/scaled_exponential.hpp"

STRATA_REGISTER_LAYER(ScaledExponential);
STRATA_REGISTER_LAYER(ClippingWeightedSum);
STRATA_REGISTER_LAYER(CustomAttention<>);

namespace {
namespace st = strata;

// The static type the inputs are also loaded into: the seeds' "normalization" model.
using static_model =
    st::Sequential<st::Input<st::dyn, 6>, st::Dense<8>, st::LayerNormalization, st::BatchNormalization, st::Dense<3>>;

/// A broken promise of strata's (not a bad input): report it and crash, so libFuzzer keeps it.
[[noreturn]] void finding(const char* what, const std::string& detail) {
  std::fprintf(stderr, "load_model_fuzzer: %s: %s\n", what, detail.c_str());
  std::fflush(stderr);
  std::abort();
}

/// Bounds the work a predict may do, so that each run stays fast: a model whose input (dyn
/// extents taken as 2) or any layer's known output holds more values than this is loaded but
/// not run. The file is not at fault: a valid model may be large.
constexpr st::index max_predict_values = st::index{1} << 12;

st::index product(const std::vector<st::index>& dims) {
  st::index count = 1;
  for (st::index d : dims) {
    const st::index extent = d == st::dyn ? 2 : d;
    if (extent > 0 && count > (st::index{1} << 40) / extent) return st::index{1} << 40;
    count *= extent;
  }
  return count;
}

/// Every parsed weight holds as many values as its shape says.
void check_parsed(const st::layers_model_file& file) {
  for (const st::saved_weight& weight : file.weights) {
    unsigned __int128 count = 1;
    for (st::index extent : weight.shape) {
      if (extent < 0) finding("parse_layers_model", "weight '" + weight.name + "' has a negative extent");
      count *= static_cast<unsigned __int128>(extent);
      if (count > (static_cast<unsigned __int128>(1) << 64)) count = static_cast<unsigned __int128>(1) << 64;
    }
    if (count != weight.values.size())
      finding("parse_layers_model",
              fmt::format("weight '{}' has shape [{}] but {} values", weight.name, fmt::join(weight.shape, ", "),
                          weight.values.size()));
  }
}

/// What strata::save would write for `model`: model.json's text and the weight bytes.
template <class Model>
std::pair<std::string, std::string> save_in_memory(const Model& model) {
  std::vector<st::weight_to_save> weights;
  std::string data;
  model.for_each_variable([&](const std::string& name, const auto& value, bool) {
    std::vector<st::index> shape(value.dims().begin(), value.dims().end());
    const auto* values = value.data();
    const auto count = static_cast<std::size_t>(value.size());
    weights.push_back({name, std::move(shape), std::span<const float>(values, count)});
    data.append(reinterpret_cast<const char*>(values), count * sizeof(float));
  });
  const nlohmann::json topology = {{"class_name", Model::class_name}, {"config", model.get_config()}};
  const std::string json = st::layers_model_document(topology, weights, {"group1-shard1of1.bin"}).dump(1);
  return {json, data};
}

st::layers_model_file reparse(const std::pair<std::string, std::string>& saved) {
  return st::parse_layers_model(saved.first,
                                std::as_bytes(std::span<const char>(saved.second.data(), saved.second.size())),
                                "<saved again>/model.json");
}

/// `what` must not throw: strata read this model, so it must read what it writes for it.
template <class Action>
void must_reload(const char* where, Action&& what) {
  try {
    what();
  } catch (const st::data_error& error) {
    finding(where, std::string("a loaded model, saved again, does not load: ") + error.what());
  }
}

void fuzz_dynamic(const st::layers_model_file& file) {
  std::optional<st::dynamic_model> loaded;
  try {
    loaded.emplace(st::load_dynamic(file));
  } catch (const st::data_error&) {
    return;
  }
  st::dynamic_model& model = *loaded;
  (void)model.summary_string();

  const auto saved = save_in_memory(model);
  must_reload("load_dynamic", [&] { (void)st::load_dynamic(reparse(saved)); });

  bool small = product(model.input_dims()) <= max_predict_values;
  for (std::size_t i = 0; small && i < model.layer_count(); ++i)
    small = product(model.layer(i).output_dims()) <= max_predict_values;
  if (!small) return;
  st::dynamic_tensor x;
  for (st::index d : model.input_dims()) x.shape.push_back(d == st::dyn ? 2 : d);
  // An Embedding first takes indices in [0, input_dim): 0 fits every one but input_dim 0.
  const bool indices = model.layer(0).class_name() == "Embedding";
  const auto count = static_cast<std::size_t>(product(model.input_dims()));
  for (std::size_t i = 0; i < count; ++i) x.values.push_back(indices ? 0.0f : static_cast<float>(i % 7) * 0.25f - 0.75f);
  // No catch: the input has the model's own input extents (a dyn one as 2), so a loaded model
  // that throws for it (shape_error, an Embedding's index out of range) accepted a file it
  // cannot run, which strata::load_dynamic should have reported as a data_error.
  const st::dynamic_tensor y = model.predict(x);
  std::size_t expected = 1;
  for (st::index d : y.shape) expected *= static_cast<std::size_t>(d);
  if (expected != y.values.size())
    finding("predict", fmt::format("output of shape [{}] holds {} values", fmt::join(y.shape, ", "), y.values.size()));
}

void fuzz_static(const st::layers_model_file& file) {
  std::optional<static_model> loaded;
  try {
    loaded.emplace(st::load<static_model>(file));
  } catch (const st::data_error&) {
    return;
  }
  static_model& model = *loaded;
  const auto saved = save_in_memory(model);
  must_reload("load<static_model>", [&] { (void)st::load<static_model>(reparse(saved)); });

  // The batch extent may be fixed by the file (batch_input_shape [5, 6]); 6 is the type's.
  const st::index batch = model.input_dims()[0] == st::dyn ? 2 : model.input_dims()[0];
  if (batch * 6 > max_predict_values) return;
  static_model::input_tensor x(st::extents<2>{batch, 6});
  for (st::index i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(i % 5) * 0.5f - 1.0f;
  // No catch, as for the run-time model.
  const auto y = model.predict(x);
  if (y.dims()[0] != batch || y.dims()[1] != 3) finding("predict", "the static model's output is not (batch, 3)");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  st::set_warning_handler([](std::string_view) {});  // unknown config keys would flood the output
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const char* text = reinterpret_cast<const char*>(data);
  const std::string_view input(text, size);
  const std::size_t nul = input.find('\0');
  const std::string_view json = input.substr(0, nul);
  const std::string_view weights = nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);

  std::optional<st::layers_model_file> file;
  try {
    file.emplace(st::parse_layers_model(json, std::as_bytes(std::span<const char>(weights.data(), weights.size()))));
  } catch (const st::data_error&) {
    return 0;
  }
  check_parsed(*file);
  fuzz_dynamic(*file);
  fuzz_static(*file);
  return 0;
}
