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

#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

#include <boost/hana/first.hpp>
#include <boost/hana/transform.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "strata/core/reflect.hpp"
#include "strata/core/warning.hpp"

namespace strata {

/// The base of the symbolic tensors of the functional API (models/functional.hpp): a layer applied
/// to one gives a graph node rather than a value. A model input (`strata::Input<...>`) is one too.
struct symbolic_tag {};
template <class X>
concept symbolic_tensor = std::is_base_of_v<symbolic_tag, std::remove_cvref_t<X>> ||
                          requires { requires std::remove_cvref_t<X>::symbolic_input; };

namespace detail {

/// Which layer object a layer is, for the functional API: a new layer gets a new identity and a
/// copy keeps it, so a layer applied twice (`auto shared = Dense<8>{}; shared(a); shared(b);`)
/// shares its weights, as a Python object would. Equal for every layer as far as == goes.
struct layer_identity {
  std::uint64_t value = next();

  static std::uint64_t next() {
    static std::atomic<std::uint64_t> counter{0};
    return ++counter;
  }
  friend constexpr bool operator==(const layer_identity&, const layer_identity&) { return true; }
};

}  // namespace detail

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
  if constexpr (!is_optional<T>::value) {
    if (json.is_null()) return;  // unset (TF.js writes mask_zero: null): the default stays
  }
  if constexpr (is_optional<T>::value) {
    if (json.is_null()) {
      value.reset();
    } else {
      typename T::value_type inner{};
      from_config_value(json, inner);
      value = inner;
    }
  } else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    // Keras writes an axis as an int or, once built, as a list of one ([-1], [2]): both read.
    if (json.is_array()) {
      if (json.size() != 1)
        throw std::invalid_argument(fmt::format("expected one integer, found the list {}", json.dump()));
      return from_config_value(json.front(), value);
    }
    // A whole number may be written as 16.0 (JavaScript has one number type); 16.5 is an error,
    // and so is a number out of T's range.
    using limits = std::numeric_limits<T>;
    bool fits = false;
    if (json.is_number_unsigned()) {
      fits = json.get<std::uint64_t>() <= static_cast<std::uint64_t>(limits::max());
    } else if (json.is_number_integer()) {
      const auto number = json.get<std::int64_t>();
      fits = number >= static_cast<std::int64_t>(limits::min()) &&
             (number < 0 || static_cast<std::uint64_t>(number) <= static_cast<std::uint64_t>(limits::max()));
    } else if (json.is_number_float()) {
      const double number = json.get<double>();
      fits = std::isfinite(number) && number == std::trunc(number) && number >= -9.2e18 && number <= 9.2e18 &&
             number >= static_cast<double>(limits::min()) && number <= static_cast<double>(limits::max());
    }
    if (!fits)
      throw std::invalid_argument(
          fmt::format("expected an integer that fits a {}-bit {} number, found {} {}", sizeof(T) * 8,
                      limits::is_signed ? "signed" : "unsigned", json.type_name(), json.dump()));
    value = json.is_number_float() ? static_cast<T>(json.get<double>()) : json.get<T>();
  } else {
    json.get_to(value);
  }
}

/// The dtype name of a layer config's "dtype": a string ("float32"), or a Keras 3 DTypePolicy
/// object whose config names it (`{"class_name": "DTypePolicy", "config": {"name": "float32"}}`).
inline std::string dtype_of_config(const nlohmann::json& dtype) {
  if (dtype.is_string()) return dtype.get<std::string>();
  if (dtype.is_object()) {
    const auto config = dtype.find("config");
    if (config != dtype.end() && config->is_object()) {
      const auto name = config->find("name");
      if (name != config->end() && name->is_string()) return name->get<std::string>();
    }
  }
  throw std::invalid_argument(fmt::format(
      "\"dtype\" must be a string such as \"float32\" or a DTypePolicy object {{\"class_name\": \"DTypePolicy\", "
      "\"config\": {{\"name\": \"float32\"}}}}, found {}",
      dtype.dump()));
}

/// Keys every Keras layer config may hold besides a layer's own fields.
inline bool is_base_config_key(std::string_view key) {
  for (std::string_view base : {"name", "trainable", "dtype", "batch_input_shape", "batch_shape", "batch_size",
                                "input_dtype"})
    if (key == base) return true;
  return false;
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
/// defaults, and a value of the wrong type is an error naming the layer, the field and what was
/// found. Keys that are not fields are ignored (Keras writes more than a layer reads), with a
/// warning (strata::warn) unless unset (null or false); "dtype" may be a string or a Keras 3
/// DTypePolicy object.
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
  const std::string_view shown_name = layer.name.empty() ? std::string_view(Layer::class_name) : layer.name;
  if (const auto dtype = config.find("dtype"); dtype != config.end() && !dtype->is_null()) {
    std::string name;
    try {
      name = detail::dtype_of_config(*dtype);
    } catch (const std::exception& error) {
      throw std::invalid_argument(fmt::format("strata: {} config: {}", Layer::class_name, error.what()));
    }
    if (name != "float32" && name != "float64")
      warn(fmt::format("strata: warning: {} '{}' has dtype \"{}\"; strata computes in the model's own type",
                       Layer::class_name, shown_name, name));
  }
  // Keras writes more than a layer reads (regularizers, constraints, Keras 3 additions). Those
  // left unset (null or false) change nothing; others are ignored too, but said.
  for (const auto& item : config.items()) {
    // Plain names, not a structured binding: clang 14 cannot capture those in the lambda below.
    const std::string& key = item.key();
    const nlohmann::json& value = item.value();
    if (detail::is_base_config_key(key) || value.is_null() || value == false) continue;
    bool known = false;
    for_each_field(layer, [&](const char* field, const auto&) { known = known || key == field; });
    if (!known)
      warn(fmt::format("strata: warning: {} '{}': config key \"{}\" is not one of its fields; ignored ({})",
                       Layer::class_name, shown_name, key, value.dump()));
  }
  return layer;
}

/// The names of a layer's config fields as a compile-time list of Hana strings, in declaration
/// order (the base fields name and trainable are not in it; JSON objects sort their keys):
///
///     static_assert(strata::config_fields<strata::Dropout> ==
///                   boost::hana::make_tuple(BOOST_HANA_STRING("rate"), BOOST_HANA_STRING("seed")));
template <class Layer>
constexpr auto config_fields = boost::hana::transform(boost::hana::accessors<Layer>(), boost::hana::first);

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
/// `get_config()` and `from_config(json)`, and `layer(inputs...)` on the functional API's symbolic
/// tensors.
#define STRATA_CONFIG(type, ...)                                                                 \
  STRATA_REFLECT(type __VA_OPT__(, ) __VA_ARGS__);                                               \
  std::string name{};                                                                            \
  bool trainable = true;                                                                         \
  ::strata::detail::layer_identity identity{};                                                   \
  template <class... Inputs>                                                                     \
    requires(sizeof...(Inputs) > 0 && (::strata::symbolic_tensor<Inputs> && ...))               \
  [[nodiscard]] auto operator()(const Inputs&... inputs) const {                                 \
    return apply_layer(*this, inputs...);                                                        \
  }                                                                                              \
  static constexpr const char* class_name = #type;                                               \
  [[nodiscard]] ::nlohmann::json get_config() const { return ::strata::get_config(*this); }      \
  static type from_config(const ::nlohmann::json& config) { return ::strata::from_config<type>(config); }
