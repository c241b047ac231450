#pragma once
/// \file A layer's config, declared once: the fields become members (so designated initializers
/// work), compile-time reflected names (Boost.Hana), and Keras' `get_config` / `from_config`.
///
///     struct ScaledExponential {
///       STRATA_CONFIG(ScaledExponential, (float, scale_factor, 1.0f));
///       ...
///     };
///     ScaledExponential layer{.scale_factor = 0.5f, .name = "scale"};
///     nlohmann::json config = layer.get_config();   // {"name": "scale", "trainable": true,
///                                                   //  "dtype": "float32", "scale_factor": 0.5}
///     auto same = ScaledExponential::from_config(config);
///
/// Besides its own fields every layer has Keras' base fields `name` (empty: the model picks a
/// unique one, `scaled_exponential`, `scaled_exponential_1`, ...) and `trainable` (false freezes
/// its weights), and a `class_name` (the Keras class name, here "ScaledExponential").

#include <cctype>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "strata/core/reflect.hpp"

namespace strata {

/// The Keras dtype name of a scalar type.
template <class T>
constexpr std::string_view dtype_name() {
  if constexpr (std::is_same_v<T, float>) return "float32";
  else if constexpr (std::is_same_v<T, double>) return "float64";
  else if constexpr (std::is_same_v<T, std::int32_t>) return "int32";
  else if constexpr (std::is_same_v<T, std::int64_t>) return "int64";
  else static_assert(sizeof(T) == 0, "strata: no Keras dtype for this type");
}

/// Keras' default layer name for a class name: `LayerNormalization` → `layer_normalization`.
inline std::string snake_case(std::string_view class_name) {
  std::string name;
  for (std::size_t i = 0; i < class_name.size(); ++i) {
    const char c = class_name[i];
    const bool upper = std::isupper(static_cast<unsigned char>(c)) != 0;
    // A new word starts at an upper-case letter after a lower-case one, or at the last capital of
    // an acronym followed by a lower-case letter ("GRUCell" → "gru_cell"); digits join the word
    // before them ("Conv2D" → "conv2d").
    if (upper && i > 0) {
      const char before = class_name[i - 1];
      const bool after_lower = std::islower(static_cast<unsigned char>(before)) != 0;
      const bool acronym_end = std::isupper(static_cast<unsigned char>(before)) != 0 && i + 1 < class_name.size() &&
                               std::islower(static_cast<unsigned char>(class_name[i + 1])) != 0;
      if (after_lower || acronym_end) name += '_';
    }
    name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return name;
}

namespace detail {

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

/// A config value as JSON; an optional one (a seed) is its value or null, as Keras writes it.
template <class T>
nlohmann::json to_config_value(const T& value) {
  if constexpr (is_optional<T>::value) {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
  } else {
    return value;
  }
}

template <class T>
void from_config_value(const nlohmann::json& json, T& value) {
  if constexpr (is_optional<T>::value) {
    if (json.is_null()) {
      value.reset();
    } else {
      value = json.get<typename T::value_type>();
    }
  } else {
    json.get_to(value);
  }
}

}  // namespace detail

/// Keras' `get_config()` of a layer: the base fields, then the reflected fields in declaration
/// order. Values go through nlohmann_json (`to_json` found by ADL for strata's own types).
template <class Layer>
nlohmann::json get_config(const Layer& layer, std::string_view dtype = "float32") {
  nlohmann::json config = nlohmann::json::object();
  config["name"] = layer.name.empty() ? snake_case(Layer::class_name) : layer.name;
  config["trainable"] = layer.trainable;
  config["dtype"] = dtype;
  for_each_field(layer, [&](const char* field, const auto& value) { config[field] = detail::to_config_value(value); });
  return config;
}

/// Keras' `from_config`: a layer whose fields are read from `config`; absent fields keep their
/// defaults, keys that are not fields are ignored (Keras writes more than a layer reads), and a
/// value of the wrong type is an error naming the layer, the field and what was found.
template <class Layer>
Layer from_config(const nlohmann::json& config) {
  if (!config.is_object())
    throw std::invalid_argument(
        fmt::format("strata: the config of a {} must be a JSON object, found {}", Layer::class_name, config.dump()));
  Layer layer{};
  auto read = [&](const char* field, auto& value) {
    const auto found = config.find(field);
    if (found == config.end()) return;
    try {
      detail::from_config_value(*found, value);
    } catch (const std::exception& error) {
      throw std::invalid_argument(fmt::format("strata: {} config field '{}': cannot read {}: {}", Layer::class_name,
                                              field, found->dump(), error.what()));
    }
  };
  read("name", layer.name);
  read("trainable", layer.trainable);
  for_each_field(layer, read);
  return layer;
}

}  // namespace strata

namespace nlohmann {

/// A layer as a JSON value, as Keras nests layers: `{"class_name": "Dense", "config": {...}}`.
template <class Layer>
  requires requires(const Layer& layer, const json& config) {
    Layer::class_name;
    layer.get_config();
    Layer::from_config(config);
  }
struct adl_serializer<Layer, void> {
  static void to_json(json& out, const Layer& layer) {
    out = {{"class_name", Layer::class_name}, {"config", layer.get_config()}};
  }
  static void from_json(const json& in, Layer& layer) {
    if (!in.is_object() || !in.contains("class_name") || !in.contains("config"))
      throw std::invalid_argument(fmt::format("strata: a {} must be written as {{\"class_name\": ..., \"config\": ...}}, found {}",
                                              Layer::class_name, in.dump()));
    if (in["class_name"] != Layer::class_name)
      throw std::invalid_argument(fmt::format("strata: expected a layer of class {}, found class_name {}",
                                              Layer::class_name, in["class_name"].dump()));
    layer = Layer::from_config(in["config"]);
  }
};

}  // namespace nlohmann

/// Declares a layer's config: its Keras class name, then its fields `(type, name, default)...`
/// (see the file comment). Adds the base fields `name` and `trainable`, `class_name`,
/// `get_config()` and `from_config(json)`.
#define STRATA_CONFIG(type, ...)                                                                 \
  STRATA_REFLECT(type __VA_OPT__(, ) __VA_ARGS__);                                               \
  std::string name{};                                                                            \
  bool trainable = true;                                                                         \
  static constexpr const char* class_name = #type;                                               \
  [[nodiscard]] ::nlohmann::json get_config() const { return ::strata::get_config(*this); }      \
  static type from_config(const ::nlohmann::json& config) { return ::strata::from_config<type>(config); }
