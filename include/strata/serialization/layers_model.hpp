#pragma once
/// \file The TensorFlow.js layers-model format, read and written without knowing any model type:
/// a folder with `model.json` (the Keras topology and a manifest of the weights) and the weights'
/// bytes in shards of at most 4 MiB. docs/formats.md describes it field by field.
///
///     strata::layers_model_file file = strata::read_layers_model("out/model");
///     file.model_config["layers"];          // [{"class_name": "Dense", "config": {...}}, ...]
///     file.find("dense/kernel")->values;    // float32, row-major
///
/// Reading checks everything before returning: malformed JSON (with the byte offset), missing
/// fields or fields of the wrong type, shard paths outside the folder, missing or truncated
/// shards, byte counts that differ from the manifest, dtypes other than float32, and NaN or
/// infinite weights. Each is a strata::data_error naming the file and what was expected.

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "strata/core/dims.hpp"
#include "strata/core/error.hpp"
#include "strata/io/atomic_file.hpp"

namespace strata {

static_assert(std::endian::native == std::endian::little,
              "strata: the layers-model format stores little-endian floats; this machine is big-endian");

/// One weight of a saved model.
struct saved_weight {
  std::string name;           // "dense/kernel"
  std::vector<index> shape;   // [784, 256]
  std::vector<float> values;  // row-major
};

/// A saved model as read from its folder: the topology and every weight.
struct layers_model_file {
  std::string source;           // the folder, for messages
  nlohmann::json document;      // model.json as written
  std::string model_class;      // "Sequential"
  nlohmann::json model_config;  // {"name": "sequential", "layers": [...]}
  std::vector<saved_weight> weights;  // in manifest order

  /// The weight called `name`, or nullptr.
  [[nodiscard]] const saved_weight* find(std::string_view name) const {
    for (const saved_weight& weight : weights)
      if (weight.name == name) return &weight;
    return nullptr;
  }
  [[nodiscard]] index value_count() const {
    index count = 0;
    for (const saved_weight& weight : weights) count += static_cast<index>(weight.values.size());
    return count;
  }
};

/// A weight to save: its name, shape and values (float32, row-major), which must outlive the call.
struct weight_to_save {
  std::string name;
  std::vector<index> shape;
  std::span<const float> values;
};

namespace detail {

/// TF.js' converter and strata cut the weights into files of at most this many bytes.
inline constexpr std::size_t max_shard_bytes = std::size_t{4} << 20;

/// The manifest of model.json, before the weights' bytes are read.
struct weights_manifest {
  struct entry {
    std::string name;
    std::vector<index> shape;
    std::size_t count = 0;  // values
  };
  std::vector<entry> weights;
  std::vector<std::string> paths;  // every group's shard files, in order
  std::size_t bytes = 0;           // what the shards must hold together
};

class model_json_reader {
 public:
  explicit model_json_reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(std::string_view field, std::string_view what) const {
    throw data_error(fmt::format("strata: {}: {}: {}", file_, field, what));
  }

  const nlohmann::json& member(const nlohmann::json& object, std::string_view field, const char* key) const {
    const auto found = object.find(key);
    if (found == object.end()) fail(field, fmt::format("expected a field \"{}\", found none", key));
    return *found;
  }

  void expect(const nlohmann::json& value, bool ok, std::string_view field, std::string_view expected) const {
    if (!ok) fail(field, fmt::format("expected {}, found {} {}", expected, value.type_name(), shorten(value.dump())));
  }

  static std::string shorten(std::string text) {
    if (text.size() > 120) text = text.substr(0, 117) + "...";
    return text;
  }

  /// Keras' topology: `{class_name, config}` directly, or nested as `{"model_config": {...}}`
  /// (what the Keras converter writes).
  std::pair<std::string, nlohmann::json> topology(const nlohmann::json& document) const {
    expect(document, document.is_object(), "the document", "a JSON object");
    if (const auto format = document.find("format"); format != document.end()) {
      expect(*format, format->is_string(), "format", "a string");
      if (*format == "graph-model")
        fail("format", "this is a TF.js graph model (a TensorFlow graph); strata reads layers models");
      if (*format != "layers-model") fail("format", fmt::format("expected \"layers-model\", found {}", format->dump()));
    }
    const nlohmann::json* topology = &member(document, "the document", "modelTopology");
    expect(*topology, topology->is_object(), "modelTopology", "an object");
    if (const auto nested = topology->find("model_config"); nested != topology->end()) {
      topology = &*nested;
      expect(*topology, topology->is_object(), "modelTopology.model_config", "an object");
    }
    const auto& class_name = member(*topology, "modelTopology", "class_name");
    expect(class_name, class_name.is_string(), "modelTopology.class_name", "a string");
    const auto& config = member(*topology, "modelTopology", "config");
    expect(config, config.is_object() || config.is_array(), "modelTopology.config",
           "an object (or, as Keras 1 wrote it, a list of layers)");
    return {class_name.get<std::string>(), config};
  }

  weights_manifest manifest(const nlohmann::json& document) const {
    weights_manifest result;
    const auto found = document.find("weightsManifest");
    if (found == document.end()) return result;  // a model without weights
    expect(*found, found->is_array(), "weightsManifest", "a list of weight groups");
    for (std::size_t g = 0; g < found->size(); ++g) {
      const nlohmann::json& group = (*found)[g];
      const std::string where = fmt::format("weightsManifest[{}]", g);
      expect(group, group.is_object(), where, "an object {\"paths\", \"weights\"}");
      const auto& paths = member(group, where, "paths");
      expect(paths, paths.is_array(), where + ".paths", "a list of file names");
      for (const auto& path : paths) {
        expect(path, path.is_string(), where + ".paths", "file names (strings)");
        result.paths.push_back(checked_path(path.get<std::string>(), where + ".paths"));
      }
      const auto& weights = member(group, where, "weights");
      expect(weights, weights.is_array(), where + ".weights", "a list of {\"name\", \"shape\", \"dtype\"}");
      for (std::size_t w = 0; w < weights.size(); ++w)
        result.weights.push_back(entry(weights[w], fmt::format("{}.weights[{}]", where, w), result.bytes));
    }
    return result;
  }

  /// Decodes the concatenated shards into the weights; `data` must hold exactly the manifest's
  /// bytes, and every value must be finite.
  std::vector<saved_weight> decode(const weights_manifest& manifest, std::span<const std::byte> data,
                                   std::string_view shards) const {
    if (data.size() != manifest.bytes)
      throw data_error(fmt::format("strata: {}: the weights manifest lists {} bytes of float32 values, but the "
                                   "weight files ({}) hold {} bytes",
                                   file_, manifest.bytes, shards, data.size()));
    std::vector<saved_weight> weights;
    weights.reserve(manifest.weights.size());
    std::size_t offset = 0;
    for (const auto& entry : manifest.weights) {
      saved_weight weight{entry.name, entry.shape, std::vector<float>(entry.count)};
      if (entry.count > 0) std::memcpy(weight.values.data(), data.data() + offset, entry.count * sizeof(float));
      for (std::size_t i = 0; i < entry.count; ++i)
        if (!std::isfinite(weight.values[i]))
          throw data_error(fmt::format("strata: {}: weight '{}' holds {} at flat index {} (byte {} of the weight "
                                       "data); a saved model's weights must be finite",
                                       file_, entry.name, weight.values[i], i, offset + i * sizeof(float)));
      offset += entry.count * sizeof(float);
      weights.push_back(std::move(weight));
    }
    return weights;
  }

 private:
  /// A shard path stays inside the model's folder: relative, with no "..".
  std::string checked_path(const std::string& path, std::string_view where) const {
    const std::filesystem::path p(path);
    bool escapes = path.empty() || p.is_absolute() || p.has_root_name();
    for (const auto& part : p) escapes = escapes || part == "..";
    if (escapes) fail(where, fmt::format("expected a file name inside the model's folder, found \"{}\"", path));
    return path;
  }

  weights_manifest::entry entry(const nlohmann::json& weight, const std::string& where, std::size_t& bytes) const {
    expect(weight, weight.is_object(), where, "an object {\"name\", \"shape\", \"dtype\"}");
    const auto& name = member(weight, where, "name");
    expect(name, name.is_string(), where + ".name", "a string");
    const std::string at = fmt::format("{} ('{}')", where, name.get<std::string>());
    if (weight.contains("quantization"))
      fail(at, "quantized weights are not supported; save the model without quantization");
    const auto& dtype = member(weight, at, "dtype");
    expect(dtype, dtype == "float32", at + ".dtype", "\"float32\"");
    const auto& shape = member(weight, at, "shape");
    expect(shape, shape.is_array(), at + ".shape", "a list of extents");
    weights_manifest::entry result{name.get<std::string>(), {}, 1};
    for (const auto& extent : shape) {
      constexpr std::int64_t max_extent = std::int64_t{1} << 31;
      expect(extent, extent.is_number_integer() && extent.get<std::int64_t>() >= 0 &&
                         extent.get<std::int64_t>() <= max_extent,
             at + ".shape", "extents that are whole numbers from 0 to 2^31");
      result.shape.push_back(static_cast<index>(extent.get<std::int64_t>()));
    }
    // Multiplied with a bound checked before each step, so a hostile manifest cannot wrap the
    // count; a 0 extent anywhere makes an empty weight.
    constexpr std::size_t max_count = std::size_t{1} << 40;
    const bool empty = std::find(result.shape.begin(), result.shape.end(), 0) != result.shape.end();
    for (index extent : result.shape) {
      if (empty) break;
      const auto value = static_cast<std::size_t>(extent);
      if (result.count > max_count / value) fail(at + ".shape", "expected at most 2^40 values in one weight");
      result.count *= value;
    }
    if (empty) result.count = 0;
    bytes += result.count * sizeof(float);
    return result;
  }

  std::string file_;
};

inline std::string read_whole_file(const std::filesystem::path& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw data_error(fmt::format("strata: cannot open {} '{}': {}", what, path.string(),
                                 std::error_code(errno, std::generic_category()).message()));
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw data_error(fmt::format("strata: reading {} '{}' failed", what, path.string()));
  return bytes;
}

}  // namespace detail

/// Reads a saved model from memory: model.json's text and its weight files' bytes concatenated
/// in manifest order. `source` names it in errors (a folder's model.json, or "<memory>").
inline layers_model_file parse_layers_model(std::string_view model_json, std::span<const std::byte> weight_data,
                                            std::string source = "<memory>/model.json") {
  const detail::model_json_reader reader(source);
  layers_model_file file;
  file.source = source;
  try {
    file.document = nlohmann::json::parse(model_json);
  } catch (const nlohmann::json::parse_error& error) {
    // nlohmann's message carries the line, the column and what it expected there.
    throw data_error(fmt::format("strata: {}: malformed JSON at byte {}: {}", source, error.byte, error.what()));
  } catch (const nlohmann::json::exception& error) {  // a number too large for a double: 1e400
    throw data_error(fmt::format("strata: {}: malformed JSON: {}", source, error.what()));
  }
  std::tie(file.model_class, file.model_config) = reader.topology(file.document);
  const detail::weights_manifest manifest = reader.manifest(file.document);
  file.weights = reader.decode(manifest, weight_data, fmt::format("{}", fmt::join(manifest.paths, ", ")));
  return file;
}

/// Reads the saved model in folder `dir` (model.json and the shards its manifest names).
inline layers_model_file read_layers_model(const std::filesystem::path& dir) {
  const std::filesystem::path model_path = dir / "model.json";
  if (!std::filesystem::exists(model_path))
    throw data_error(fmt::format("strata: '{}' holds no model.json (a saved model is a folder with model.json and "
                                 "its weight files)",
                                 dir.string()));
  const std::string model_json = detail::read_whole_file(model_path, "the model file");
  // The manifest first, for the shard names; parse_layers_model checks everything again.
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(model_json);
  } catch (const nlohmann::json::parse_error& error) {
    throw data_error(fmt::format("strata: {}: malformed JSON at byte {}: {}", model_path.string(), error.byte,
                                 error.what()));
  } catch (const nlohmann::json::exception& error) {
    throw data_error(fmt::format("strata: {}: malformed JSON: {}", model_path.string(), error.what()));
  }
  const detail::weights_manifest manifest = detail::model_json_reader(model_path.string()).manifest(document);
  std::string data;
  for (const std::string& shard : manifest.paths) {
    data += detail::read_whole_file(dir / shard, "the weight file");
    if (data.size() > manifest.bytes)  // stop early on a file far larger than the manifest says
      break;
  }
  return parse_layers_model(model_json, std::as_bytes(std::span<const char>(data.data(), data.size())),
                            model_path.string());
}

/// The model.json strata writes for a topology (`{"class_name": "Sequential", "config": ...}`)
/// and weights cut into `paths`.
inline nlohmann::json layers_model_document(const nlohmann::json& topology, std::span<const weight_to_save> weights,
                                            const std::vector<std::string>& paths) {
  nlohmann::json manifest = nlohmann::json::array();
  for (const weight_to_save& weight : weights)
    manifest.push_back({{"name", weight.name}, {"shape", weight.shape}, {"dtype", "float32"}});
  nlohmann::json model_topology = topology;
  model_topology["keras_version"] = "2.15.0";  // the Keras config conventions written (see docs/formats.md)
  model_topology["backend"] = "strata";
  return {{"format", "layers-model"},
          {"generatedBy", "strata 0.1.0"},
          {"convertedBy", nullptr},
          {"modelTopology", std::move(model_topology)},
          {"weightsManifest", nlohmann::json::array({{{"paths", paths}, {"weights", std::move(manifest)}}})}};
}

/// Writes a saved model into folder `dir` atomically (a temporary folder, then a rename): a
/// reader never sees half a model, and a failure leaves what was there. A folder `dir` that
/// exists is replaced only if it is empty or holds a model.json. Weights must be finite.
inline void write_layers_model(const std::filesystem::path& dir, const nlohmann::json& topology,
                               std::span<const weight_to_save> weights) {
  std::string data;
  for (const weight_to_save& weight : weights) {
    std::size_t count = 1;
    for (index extent : weight.shape) count *= static_cast<std::size_t>(extent);
    if (count != weight.values.size())
      throw std::invalid_argument(fmt::format("strata: weight '{}' has shape [{}] but {} values", weight.name,
                                              fmt::join(weight.shape, ", "), weight.values.size()));
    for (std::size_t i = 0; i < count; ++i)
      if (!std::isfinite(weight.values[i]))
        throw data_error(fmt::format("strata: cannot save '{}': weight '{}' holds {} at flat index {}", dir.string(),
                                     weight.name, weight.values[i], i));
    const auto bytes = std::as_bytes(weight.values);
    data.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  const std::size_t shard_count = std::max<std::size_t>(1, (data.size() + detail::max_shard_bytes - 1) / detail::max_shard_bytes);
  std::vector<std::string> paths;
  for (std::size_t i = 1; i <= shard_count; ++i) paths.push_back(fmt::format("group1-shard{}of{}.bin", i, shard_count));
  const std::string model_json = layers_model_document(topology, weights, paths).dump(1);
  io::write_folder_atomically(
      dir,
      [&](const std::filesystem::path& folder) {
        for (std::size_t i = 0; i < shard_count; ++i) {
          const std::size_t begin = i * detail::max_shard_bytes;
          io::write_file(folder / paths[i],
                         std::string_view(data).substr(begin, std::min(detail::max_shard_bytes, data.size() - begin)));
        }
        io::write_file(folder / "model.json", model_json);
      },
      [](const std::filesystem::path& existing) {
        return std::filesystem::is_empty(existing) || std::filesystem::exists(existing / "model.json");
      });
}

}  // namespace strata
