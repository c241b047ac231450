#pragma once
/// \file Saving a model in the TensorFlow.js layers-model format and loading it back, into a
/// static model type (checked against it) or into a model that already exists.
///
///     strata::save(model, "out/model");                          // model.json + group1-shard1of1.bin
///     auto same = strata::load<decltype(model)>("out/model");    // config and weights checked
///     strata::load_weights(model, "out/model");                  // weights only, checked
///
/// A model here is anything with Keras' `class_name`, `get_config()` and
/// `for_each_variable(visit(name, value, trainable))` (strata::Sequential, strata::dynamic_model);
/// `load<Model>` also needs `Model::from_config`. Weights are matched by name ("dense/kernel"),
/// so the order in the file does not matter (TF.js lists trainable weights first), and every
/// weight is checked before any is changed: a bad file leaves the model as it was.

#include <algorithm>
#include <deque>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "strata/core/error.hpp"
#include "strata/core/shape.hpp"
#include "strata/layers/layer.hpp"
#include "strata/serialization/layers_model.hpp"

namespace strata {

namespace detail {

/// The saved weight a model variable reads: the same name, or the same name with Keras' ":0"
/// suffix, or the name under one more scope (a model name, "sequential/dense/kernel").
inline const saved_weight* find_saved_weight(const layers_model_file& file, const std::string& name) {
  if (const saved_weight* exact = file.find(name)) return exact;
  if (const saved_weight* suffixed = file.find(name + ":0")) return suffixed;
  const saved_weight* scoped = nullptr;
  for (const saved_weight& weight : file.weights) {
    const std::string_view saved(weight.name);
    if (saved.size() > name.size() && saved.ends_with(name) && saved[saved.size() - name.size() - 1] == '/') {
      if (scoped != nullptr) return nullptr;  // ambiguous: no guess
      scoped = &weight;
    }
  }
  return scoped;
}

/// Runs `action`, turning a config or shape error into a data_error that names the file.
template <class Action>
decltype(auto) reading_file(const layers_model_file& file, Action&& action) {
  try {
    return action();
  } catch (const data_error&) {
    throw;
  } catch (const std::invalid_argument& error) {  // shape_error too
    std::string_view what = error.what();
    if (what.starts_with("strata: ")) what.remove_prefix(8);
    throw data_error(fmt::format("strata: {}: {}", file.source, what));
  }
}

}  // namespace detail

/// Sets every variable of `model` from the saved weights of the same name, after checking that
/// each exists with the variable's shape and that the file has no weight the model lacks.
/// Throws strata::data_error naming the file, the weight, and the expected and found shapes;
/// then nothing has changed.
template <class Model>
void load_weights(Model& model, const layers_model_file& file) {
  std::vector<std::function<void()>> assignments;
  std::vector<const saved_weight*> used;
  model.for_each_variable([&](const std::string& name, auto& value, bool) {
    const saved_weight* saved = detail::find_saved_weight(file, name);
    const std::vector<index> expected(value.dims().begin(), value.dims().end());
    if (saved == nullptr)
      throw data_error(fmt::format("strata: {}: no weight '{}' of shape [{}] in the file (the model has it); the "
                                   "file's weights are {}",
                                   file.source, name, fmt::join(expected, ", "), [&] {
                                     std::vector<std::string> names;
                                     for (const saved_weight& w : file.weights) names.push_back("'" + w.name + "'");
                                     return names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", "));
                                   }()));
    if (saved->shape != expected)
      throw data_error(fmt::format("strata: {}: weight '{}': the model expects shape [{}], the file has [{}]",
                                   file.source, name, fmt::join(expected, ", "), fmt::join(saved->shape, ", ")));
    used.push_back(saved);
    assignments.push_back([&value, saved] {
      using scalar = std::remove_cvref_t<decltype(*value.data())>;
      std::transform(saved->values.begin(), saved->values.end(), value.data(),
                     [](float v) { return static_cast<scalar>(v); });
    });
  });
  for (const saved_weight& weight : file.weights)
    if (std::find(used.begin(), used.end(), &weight) == used.end())
      throw data_error(fmt::format("strata: {}: the file has a weight '{}' of shape [{}] that the model does not",
                                   file.source, weight.name, fmt::join(weight.shape, ", ")));
  for (const auto& assign : assignments) assign();
}

/// Reads the weights saved in folder `dir` into `model` (see above).
template <class Model>
void load_weights(Model& model, const std::filesystem::path& dir) {
  load_weights(model, read_layers_model(dir));
}

/// The model of type `Model` saved in `file`: its config read and checked against the type
/// (class names, config values the type fixes, the input shape), then its weights.
template <class Model>
Model load(const layers_model_file& file) {
  if (file.model_class != Model::class_name)
    throw data_error(fmt::format("strata: {}: modelTopology.class_name: expected \"{}\", found \"{}\"", file.source,
                                 Model::class_name, file.model_class));
  const detail::weight_budget_scope budget(file.value_count());
  Model model = detail::reading_file(file, [&] { return Model::from_config(file.model_config); });
  load_weights(model, file);
  return model;
}

/// The model of type `Model` saved in folder `dir` (see above).
template <class Model>
Model load(const std::filesystem::path& dir) {
  return load<Model>(read_layers_model(dir));
}

/// Saves `model` in folder `dir` in the TensorFlow.js layers-model format: model.json (Keras'
/// topology, and the weights' names, shapes and dtype in Keras' order) and the float32 weights
/// in shards of at most 4 MiB. Written atomically: a temporary folder, then a rename; a folder
/// already at `dir` is replaced only if it holds a model.json (or nothing).
template <class Model>
void save(const Model& model, const std::filesystem::path& dir) {
  std::deque<std::vector<float>> converted;  // values of a model that is not float (a deque never moves them)
  std::vector<weight_to_save> weights;
  model.for_each_variable([&](const std::string& name, const auto& value, bool) {
    std::vector<index> shape(value.dims().begin(), value.dims().end());
    const auto* data = value.data();
    const auto count = static_cast<std::size_t>(value.size());
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(*data)>, float>) {
      weights.push_back({name, std::move(shape), std::span<const float>(data, count)});
    } else {
      const auto& values = converted.emplace_back(data, data + count);
      weights.push_back({name, std::move(shape), std::span<const float>(values)});
    }
  });
  const nlohmann::json topology = {{"class_name", Model::class_name}, {"config", model.get_config()}};
  write_layers_model(dir, topology, weights);
}

}  // namespace strata
