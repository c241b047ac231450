#pragma once
/// \file Run-time models: a Sequential model built from a saved model.json through a registry of
/// layer types, for when the model is not known at compile time (a tool that runs any saved
/// model, a model chosen by a config file).
///
///     strata::dynamic_model model = strata::load_dynamic("out/model");
///     model.summary();
///     strata::dynamic_tensor y = model.predict({.shape = {2, 8}, .values = {...}});
///
///     STRATA_REGISTER_LAYER(ScaledExponential);   // a custom layer, once, at namespace scope
///
/// It is not a second implementation: each layer is the same layer type inside a one-layer
/// strata::Sequential whose extents are all `dyn` (Dense<> rather than Dense<64>), behind a
/// small virtual interface, so predictions equal the static model's. A layer is instantiated
/// for inputs of rank 2 and 3 (within its input_requirements); its extents are checked when the
/// model is built and when data arrives.

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/preprocessor/cat.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "strata/layers/activation.hpp"
#include "strata/layers/dense.hpp"
#include "strata/layers/dropout.hpp"
#include "strata/layers/embedding.hpp"
#include "strata/layers/normalization.hpp"
#include "strata/layers/reshape.hpp"
#include "strata/models/sequential.hpp"
#include "strata/models/summary.hpp"
#include "strata/serialization/saving.hpp"
#include "strata/tensor/dynamic_tensor.hpp"

namespace strata {

/// A variable of a run-time model, as for_each_variable shows it: the parts of a tensor that
/// save and load_weights use.
struct variable_view {
  std::string name;
  std::vector<index> extents;
  float* values = nullptr;
  bool trainable = true;

  [[nodiscard]] const std::vector<index>& dims() const { return extents; }
  [[nodiscard]] float* data() const { return values; }
  [[nodiscard]] index size() const {
    index count = 1;
    for (index e : extents) count *= e;
    return count;
  }
};

/// One layer of a run-time model (see the file comment).
class dynamic_layer {
 public:
  dynamic_layer() = default;
  dynamic_layer(const dynamic_layer&) = delete;
  dynamic_layer& operator=(const dynamic_layer&) = delete;
  virtual ~dynamic_layer() = default;

  [[nodiscard]] virtual std::string_view class_name() const = 0;
  [[nodiscard]] virtual const std::string& name() const = 0;
  /// The output extents known before data arrives (`dyn` where not).
  [[nodiscard]] virtual std::vector<index> output_dims() const = 0;
  /// Keras' layer config (without the input shape).
  [[nodiscard]] virtual nlohmann::json get_config() const = 0;
  /// Computes the layer's output for `x` (inference) into `y`.
  virtual void forward(const dynamic_tensor& x, dynamic_tensor& y) = 0;
  [[nodiscard]] virtual std::vector<variable_view>& variables() = 0;
  [[nodiscard]] const std::vector<variable_view>& variables() const {
    return const_cast<dynamic_layer*>(this)->variables();
  }
};

namespace detail {

template <std::size_t... I>
shape<((void)I, dyn)...> all_dyn_shape(std::index_sequence<I...>);
/// shape<dyn, ..., dyn> of rank `Rank`.
template <std::size_t Rank>
using all_dyn = decltype(all_dyn_shape(std::make_index_sequence<Rank>{}));

/// `Layer` as a dynamic_layer for inputs of rank `Rank`.
template <class Layer, std::size_t Rank>
class dynamic_layer_of final : public dynamic_layer {
  static constexpr bool integer_input = requirements_of<Layer>().integer;
  using element = std::conditional_t<integer_input, std::int32_t, float>;
  using input_spec = input<element, all_dyn<Rank>, float>;
  using model_type = Sequential<input_spec, Layer>;

 public:
  dynamic_layer_of(Layer layer, const std::vector<index>& input_dims)
      : model_(spec_of(input_dims), std::move(layer)) {
    model_.for_each_variable([&](const std::string& name, auto& value, bool trainable) {
      variables_.push_back({name, std::vector<index>(value.dims().begin(), value.dims().end()), value.data(), trainable});
    });
  }

  [[nodiscard]] std::string_view class_name() const override { return Layer::class_name; }
  [[nodiscard]] const std::string& name() const override { return model_.template layer_name<0>(); }
  [[nodiscard]] std::vector<index> output_dims() const override {
    return {model_.output_dims().begin(), model_.output_dims().end()};
  }
  [[nodiscard]] nlohmann::json get_config() const override {
    nlohmann::json config = strata::get_config(model_.template layer<0>(), "float32");
    config["name"] = name();
    return config;
  }
  [[nodiscard]] std::vector<variable_view>& variables() override { return variables_; }

  void forward(const dynamic_tensor& x, dynamic_tensor& y) override {
    if (x.shape.size() != Rank)
      throw shape_error(fmt::format("strata: the input must have rank {}, found shape {}", Rank, format_dims(x.shape)));
    extents<Rank> dims{};
    std::copy(x.shape.begin(), x.shape.end(), dims.begin());
    input_.resize(dims);
    for (std::size_t i = 0; i < x.values.size(); ++i) input_.data()[i] = checked_element(x.values[i], i);
    const auto& output = model_.forward(input_);
    y.shape.assign(output.dims().begin(), output.dims().end());
    y.values.assign(output.data(), output.data() + output.size());
  }

 private:
  static input_spec spec_of(const std::vector<index>& input_dims) {
    input_spec spec;
    std::copy(input_dims.begin(), input_dims.end(), spec.dims.begin());
    return spec;
  }

  /// A float as the layer's element: itself, or an index (Embedding), which must be whole.
  static element checked_element(float value, std::size_t position) {
    if constexpr (integer_input) {
      // [-2^31, 2^31): both bounds are exact in float, so the cast below is defined.
      if (!(std::trunc(value) == value && value >= -2147483648.0f && value < 2147483648.0f))
        throw std::invalid_argument(
            fmt::format("strata: the input holds {} at flat index {}; this layer takes whole-number indices", value,
                        position));
      return static_cast<element>(value);
    } else {
      return value;
    }
  }

  model_type model_;
  tensor<element, all_dyn<Rank>> input_;
  std::vector<variable_view> variables_;
};

}  // namespace detail

/// The layer types a run-time model can be built of, by Keras class name: the built-in layers,
/// and custom layers registered with STRATA_REGISTER_LAYER (or `registry.add<Layer>()`).
class layer_registry {
 public:
  /// Registers `Layer` (a layer type whose extents are all dyn, such as Dense<> or
  /// CustomAttention<>) under its class name, replacing a layer registered before under it.
  template <class Layer>
  void add() {
    constexpr input_requirements needs = detail::requirements_of<Layer>();
    constexpr std::size_t lowest = std::max<std::size_t>(2, needs.min_rank);
    // Rank 4 (images) waits for convolutions; each rank compiles the layer once more.
    constexpr std::size_t highest = std::min<std::size_t>(3, needs.max_rank);
    static_assert(lowest <= highest, "strata: a registered layer must take an input of rank 2 or 3");
    factories_[Layer::class_name] = [](const nlohmann::json& config, const std::vector<index>& input_dims) {
      Layer layer = Layer::from_config(config);
      return make<Layer, lowest>(std::move(layer), input_dims, std::make_index_sequence<highest - lowest + 1>{});
    };
  }

  [[nodiscard]] bool contains(std::string_view class_name) const { return factories_.contains(class_name); }

  /// The registered class names, sorted.
  [[nodiscard]] std::vector<std::string> names() const {
    std::vector<std::string> result;
    for (const auto& entry : factories_) result.push_back(entry.first);
    return result;
  }

  /// The layer of class `class_name` with `config`, built for input extents `input_dims`.
  [[nodiscard]] std::unique_ptr<dynamic_layer> make(std::string_view class_name, const nlohmann::json& config,
                                                    const std::vector<index>& input_dims) const {
    const auto found = factories_.find(class_name);
    if (found == factories_.end())
      throw std::invalid_argument(fmt::format("strata: unknown layer class \"{}\"; the registered ones are {} (register "
                                              "a custom layer with STRATA_REGISTER_LAYER)",
                                              class_name, fmt::join(names(), ", ")));
    return found->second(config, input_dims);
  }

  /// The registry load_dynamic uses by default: the built-in layers and those registered with
  /// STRATA_REGISTER_LAYER. (A template, so only programs that use it compile the built-ins.)
  template <class Registry = layer_registry>
  static Registry& global() {
    static Registry registry = [] {
      Registry built_in;
      built_in.template add<Dense<>>();
      built_in.template add<Activation>();
      built_in.template add<Dropout>();
      built_in.template add<LayerNormalization>();
      built_in.template add<BatchNormalization>();
      built_in.template add<Embedding<>>();
      built_in.template add<Flatten>();
      return built_in;
    }();
    return registry;
  }

 private:
  using factory = std::function<std::unique_ptr<dynamic_layer>(const nlohmann::json&, const std::vector<index>&)>;

  template <class Layer, std::size_t Lowest, std::size_t... Offset>
  static std::unique_ptr<dynamic_layer> make(Layer layer, const std::vector<index>& input_dims,
                                             std::index_sequence<Offset...>) {
    std::unique_ptr<dynamic_layer> made;
    (void)((input_dims.size() == Lowest + Offset
          ? (made = std::make_unique<detail::dynamic_layer_of<Layer, Lowest + Offset>>(std::move(layer), input_dims),
             true)
          : false) ||
     ...);
    if (!made)
      throw shape_error(fmt::format("strata: {} cannot take an input of shape {}: it takes ranks {} to {} here",
                                    Layer::class_name, format_dims(input_dims), Lowest, Lowest + sizeof...(Offset) - 1));
    return made;
  }

  std::map<std::string, factory, std::less<>> factories_;
};

/// Registers a custom layer type with the global registry at program start, so that
/// load_dynamic and the tools can build it: `STRATA_REGISTER_LAYER(CustomAttention<>);`.
#define STRATA_REGISTER_LAYER(...)                                                              \
  [[maybe_unused]] static const bool BOOST_PP_CAT(strata_registered_layer_, __COUNTER__) = [] {    \
    ::strata::layer_registry::global().add<__VA_ARGS__>();                                      \
    return true;                                                                                \
  }()

/// A Sequential model whose layers are chosen at run time (see the file comment).
class dynamic_model {
 public:
  static constexpr const char* class_name = "Sequential";

  /// The model a Sequential config describes (as Sequential::from_config reads it), built
  /// through `registry`; its weights are drawn anew. It needs the input shape in the config.
  template <class Registry = layer_registry>
  [[nodiscard]] static dynamic_model from_config(const nlohmann::json& config,
                                                 const Registry& registry = Registry::global()) {
    const nlohmann::json& saved = detail::saved_layers(config);
    dynamic_model model;
    if (config.is_object() && config.contains("name") && config["name"].is_string())
      model.name_ = config["name"].get<std::string>();
    std::size_t first = 0;
    const nlohmann::json* batch_shape = nullptr;
    if (!saved.empty() && saved[0]["class_name"] == "InputLayer") {
      batch_shape = detail::saved_batch_shape(saved[0]["config"]);
      first = 1;
    }
    if (saved.size() == first) throw std::invalid_argument("strata: the saved Sequential model has no layers");
    if (batch_shape == nullptr) batch_shape = detail::saved_batch_shape(saved[first]["config"]);
    if (batch_shape == nullptr)
      throw std::invalid_argument(
          "strata: the saved model gives no input shape (batch_input_shape or batch_shape of its first layer), which a "
          "run-time model needs");
    model.input_dims_ = detail::saved_input_extents(*batch_shape, "the input shape");
    std::vector<index> dims = model.input_dims_;
    std::size_t position = 0;
    detail::name_scope names;  // a layer saved without a name gets Keras' default, unique in the model
    for (std::size_t i = first; i < saved.size(); ++i, ++position) {
      const std::string class_name = saved[i]["class_name"].get<std::string>();
      nlohmann::json layer_config = saved[i]["config"];
      const auto name = layer_config.find("name");
      const std::string requested = name != layer_config.end() && name->is_string() ? name->get<std::string>() : "";
      const std::string shown = detail::naming_layer(position, requested, class_name.c_str(),
                                                     [&] { return names.unique(requested, class_name); });
      layer_config["name"] = shown;
      auto layer = detail::naming_layer(position, shown, class_name.c_str(),
                                        [&] { return registry.make(class_name, layer_config, dims); });
      dims = layer->output_dims();
      model.layers_.push_back(std::move(layer));
    }
    return model;
  }

  [[nodiscard]] std::string name() const { return name_; }
  [[nodiscard]] std::size_t layer_count() const { return layers_.size(); }
  [[nodiscard]] const dynamic_layer& layer(std::size_t position) const { return *layers_.at(position); }
  [[nodiscard]] const std::vector<index>& input_dims() const { return input_dims_; }
  [[nodiscard]] std::vector<index> output_dims() const { return layers_.back()->output_dims(); }

  /// The output for `x` in inference mode; `x` must have the input's rank and its known extents.
  [[nodiscard]] dynamic_tensor predict(const dynamic_tensor& x) {
    bool fits = x.shape.size() == input_dims_.size();
    index count = 1;
    for (std::size_t i = 0; fits && i < x.shape.size(); ++i) {
      fits = x.shape[i] >= 0 && (input_dims_[i] == dyn || input_dims_[i] == x.shape[i]);
      count *= x.shape[i];
    }
    if (!fits)
      throw shape_error(fmt::format("strata: {}: the input must have shape {}, found {}", name_, format_dims(input_dims_),
                                    format_dims(x.shape)));
    if (static_cast<std::size_t>(count) != x.values.size())
      throw shape_error(fmt::format("strata: {}: an input of shape {} holds {} values, found {}", name_,
                                    format_dims(x.shape), count, x.values.size()));
    dynamic_tensor current = x, next;
    for (std::size_t i = 0; i < layers_.size(); ++i) {
      dynamic_layer& layer = *layers_[i];
      detail::naming_layer(i, layer.name(), std::string(layer.class_name()).c_str(), [&] { layer.forward(current, next); });
      std::swap(current, next);
    }
    return current;
  }

  /// Calls `visit(name, value, trainable)` for every weight, in Keras' order; `value` has
  /// dims(), data() and size() like a tensor.
  template <class Visitor>
  void for_each_variable(Visitor&& visit) {
    for (auto& layer : layers_)
      for (variable_view& variable : layer->variables()) visit(variable.name, variable, variable.trainable);
  }
  template <class Visitor>
  void for_each_variable(Visitor&& visit) const {
    for (const auto& layer : layers_)
      for (const variable_view& variable : std::as_const(*layer).variables())
        visit(variable.name, variable, variable.trainable);
  }

  [[nodiscard]] parameter_counts count_params() const {
    parameter_counts counts;
    for_each_variable([&](const std::string&, const variable_view& value, bool trainable) {
      (trainable ? counts.trainable : counts.non_trainable) += value.size();
    });
    counts.total = counts.trainable + counts.non_trainable;
    return counts;
  }

  /// Keras' model summary, as strata::Sequential prints it.
  [[nodiscard]] std::string summary_string() const {
    std::vector<detail::summary_row> rows;
    for (const auto& layer : layers_) {
      index params = 0;
      for (const variable_view& variable : std::as_const(*layer).variables()) params += variable.size();
      rows.push_back({fmt::format("{} ({})", layer->name(), layer->class_name()), format_dims(layer->output_dims()),
                      params});
    }
    return detail::summary_table(name_, rows, count_params());
  }
  void summary() const { std::fputs(summary_string().c_str(), stdout); }

  /// Keras' Sequential config, as strata::Sequential writes it.
  [[nodiscard]] nlohmann::json get_config() const {
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& layer : layers_) {
      nlohmann::json config = layer->get_config();
      if (layers.empty()) {
        nlohmann::json shape = nlohmann::json::array();
        for (index d : input_dims_) shape.push_back(d == dyn ? nlohmann::json(nullptr) : nlohmann::json(d));
        config["batch_input_shape"] = std::move(shape);
      }
      layers.push_back({{"class_name", std::string(layer->class_name())}, {"config", std::move(config)}});
    }
    return {{"name", name_}, {"layers", std::move(layers)}};
  }

 private:
  dynamic_model() = default;

  std::string name_ = "sequential";
  std::vector<index> input_dims_;
  std::vector<std::unique_ptr<dynamic_layer>> layers_;
};

/// The run-time model saved in `file`: built from its config through `registry`, then its
/// weights read and checked as strata::load_weights does. Errors are strata::data_errors naming
/// the file, and the layer where one is at fault.
template <class Registry = layer_registry>
dynamic_model load_dynamic(const layers_model_file& file, const Registry& registry = Registry::global()) {
  if (file.model_class != dynamic_model::class_name)
    throw data_error(fmt::format("strata: {}: modelTopology.class_name: expected \"Sequential\" (strata reads "
                                 "Sequential models), found \"{}\"",
                                 file.source, file.model_class));
  const detail::weight_budget_scope budget(file.value_count());
  dynamic_model model =
      detail::reading_file(file, [&] { return dynamic_model::from_config(file.model_config, registry); });
  load_weights(model, file);
  return model;
}

/// The run-time model saved in folder `dir` (see above).
template <class Registry = layer_registry>
dynamic_model load_dynamic(const std::filesystem::path& dir, const Registry& registry = Registry::global()) {
  return load_dynamic(read_layers_model(dir), registry);
}

}  // namespace strata
