#pragma once
/// \file A static sequential model: an input spec and a list of layers, whose type carries every
/// layer's input and output shape.
///
///     strata::Sequential model(strata::Input<strata::dyn, 16>{},
///                              strata::Dense<32>{.activation = "relu"}, strata::Dense<10>{});
///     static_assert(decltype(model)::output_shape{} == strata::shape<strata::dyn, 10>{});
///     model.summary();                       // Keras-style table
///     auto y = model(x);                     // predict: a tensor of shape (batch, 10)
///     float loss = model.backward(x, [&](const auto& y) { return strata::mean(strata::square(y - target)); });
///     model.for_each_weight([&](const std::string& name, auto& value, auto& gradient) { ... });
///
/// Each layer's `call` expression is evaluated into a buffer the model owns (materialised at
/// layer boundaries), and that layer's backward comes from its expression's type. Layers are
/// chained by a fold over the layer list, so compile time grows linearly with the layer count.

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "strata/autodiff/value_and_grad.hpp"
#include "strata/eval/evaluate.hpp"
#include "strata/layers/layer.hpp"
#include "strata/models/engine.hpp"
#include "strata/models/graph.hpp"
#include "strata/models/model.hpp"
#include "strata/models/summary.hpp"
#include "strata/serialization/saving.hpp"
#include "strata/training/fit.hpp"

namespace strata {

namespace detail {

/// Whether `Layer::call` takes the input and the weights its `build` returned (with or without a
/// call_context), checked before the call expression's type is asked for.
template <class Layer, class X, class Arguments>
struct call_accepts;
template <class Layer, class X, class... W>
struct call_accepts<Layer, X, std::tuple<W...>> {
  static constexpr bool value = requires(const Layer& layer, X x, W... w, const call_context& context) {
    layer.call(x, w..., context);
  } || requires(const Layer& layer, X x, W... w) { layer.call(x, w...); };
};

template <std::size_t Position, class Layer, shape_type In, class Weights>
struct layer_call_must_fit {
  static_assert(call_accepts<Layer, decltype(input_argument<typename Weights::first_type>(
                                        std::declval<const tensor<typename Weights::second_type, In>&>())),
                             typename Weights::arguments>::value,
                "strata: the layer above (position, type, input shape) has no call(x, weights...[, context]) "
                "taking its input and, in order, the weights its build returns");
  static constexpr bool value =
      call_accepts<Layer, decltype(input_argument<typename Weights::first_type>(
                              std::declval<const tensor<typename Weights::second_type, In>&>())),
                   typename Weights::arguments>::value;
};

template <scalar T, class Element, class Storage>
struct call_signature {
  using first_type = T;
  using second_type = Element;
  using arguments = decltype(call_argument(std::declval<Storage&>()));
};

template <std::size_t Position, scalar T, class Layer, class Element, shape_type In, bool Accepted>
struct stage_types {  // a rejected layer: placeholders, so that only the message above is printed
  using spec_type = std::tuple<>;
  using storage_type = std::tuple<>;
  using expression_type = tensor_ref<T, In>;
};

template <std::size_t Position, scalar T, class Layer, class Element, shape_type In, class Storage, bool Callable>
struct call_expression {  // call does not fit: a placeholder, so that only the message above is printed
  using type = tensor_ref<T, In>;
};
template <std::size_t Position, scalar T, class Layer, class Element, shape_type In, class Storage>
struct call_expression<Position, T, Layer, Element, In, Storage, true> {
  using type = decltype(layer_expression<T>(std::declval<const Layer&>(), std::declval<const tensor<Element, In>&>(),
                                            std::declval<Storage&>(), std::declval<const call_context&>()));
};

template <std::size_t Position, scalar T, class Layer, class Element, shape_type In>
struct stage_types<Position, T, Layer, Element, In, true> {
  using spec_type = decltype(build_weights(std::declval<const Layer&>(), std::declval<builder<T, In, Element>&>()));
  using storage_type = storage_t<T, spec_type>;
  static constexpr bool callable =
      layer_call_must_fit<Position, Layer, In, call_signature<T, Element, storage_type>>::value;
  using expression_type = typename call_expression<Position, T, Layer, Element, In, storage_type, callable>::type;
};

/// One layer of a model at a position, with the types that follow from its input shape.
template <scalar T, std::size_t Position, class Layer, class Element, shape_type In>
struct layer_stage {
  static constexpr bool accepted =
      must_be_layer<Layer>::value &&
      layer_must_accept_input<Position, Layer, In, Element, requirements_of<Layer>()>::value;
  using types = stage_types<Position, T, Layer, Element, In, accepted>;

  static constexpr std::size_t position = Position;
  using layer_type = Layer;
  using element_type = Element;
  using input_shape = In;
  using input_tensor = tensor<Element, In>;
  using spec_type = typename types::spec_type;
  using storage_type = typename types::storage_type;
  using expression_type = typename types::expression_type;
  using output_shape = typename expression_type::shape_type;
};

/// The stages of a chain of layers, each one's input the previous one's output: a fold over the
/// layer list (template depth grows with the number of layers, never with the whole network).
template <scalar T, std::size_t Position, class Element, shape_type In, class... Layers>
struct chain {
  using stages = std::tuple<>;
  using output_shape = In;
};

template <scalar T, std::size_t Position, class Element, shape_type In, class Layer, class... Rest>
struct chain<T, Position, Element, In, Layer, Rest...> {
  using stage = layer_stage<T, Position, Layer, Element, In>;
  using rest = chain<T, Position + 1, T, typename stage::output_shape, Rest...>;
  using stages = decltype(std::tuple_cat(std::declval<std::tuple<stage>>(), std::declval<typename rest::stages>()));
  using output_shape = typename rest::output_shape;
};

/// Whether every layer of a chain takes its input (each check printed its own message if not).
template <class Stages>
struct chain_accepted;
template <class... Stages>
struct chain_accepted<std::tuple<Stages...>> : std::bool_constant<(Stages::accepted && ...)> {};

/// The graph of a chain: the input at node 0, layer k at node k + 1 on node k.
template <class InputSpec, class Layers, class Indices>
struct chain_graph;
template <class InputSpec, class... Layers, std::size_t... K>
struct chain_graph<InputSpec, std::tuple<Layers...>, std::index_sequence<K...>> {
  using list = node_list<input_node<InputSpec>, layer_node<Layers, K>...>;
  using engine = graph_engine<list, std::index_sequence<0>, std::index_sequence<sizeof...(Layers)>>;
};

/// What a Sequential whose layers do not fit derives from: nothing, so that only the messages of
/// the failed checks are printed.
struct rejected_chain {
  explicit rejected_chain(std::string) {}
};

/// The input extents a saved config gives (`batch_input_shape` or `batch_shape`; null, or a
/// missing entry, is `dyn`). Bounded, so that a corrupt file cannot make a model allocate
/// without limit: each extent at most 2^24, and so is one example's value count.
inline std::vector<index> saved_input_extents(const nlohmann::json& batch_shape, std::string_view where) {
  if (!batch_shape.is_array() || batch_shape.empty() || batch_shape.size() > 8)
    throw std::invalid_argument(fmt::format("strata: {}: expected a list of 1 to 8 extents (null for any), found {}",
                                            where, batch_shape.dump().substr(0, 200)));
  constexpr index max_extent = index{1} << 24;
  std::vector<index> dims;
  index example = 1;
  for (std::size_t i = 0; i < batch_shape.size(); ++i) {
    const nlohmann::json& extent = batch_shape[i];
    if (extent.is_null()) {
      dims.push_back(dyn);
      continue;
    }
    if (!extent.is_number_integer() || extent.get<std::int64_t>() < 0 || extent.get<std::int64_t>() > max_extent)
      throw std::invalid_argument(fmt::format(
          "strata: {}: axis {} must be null or a whole number from 0 to 2^24, found {}", where, i, extent.dump()));
    dims.push_back(static_cast<index>(extent.get<std::int64_t>()));
    if (i > 0) example *= std::max<index>(dims.back(), 1);
    if (example > max_extent)
      throw std::invalid_argument(fmt::format("strata: {}: one example of shape {} holds more than 2^24 values", where,
                                              batch_shape.dump()));
  }
  return dims;
}

/// The same, checked against the static shape `Shape`: the same rank, and equal extents where
/// the type's are static (a null in the file keeps the type's).
template <shape_type Shape>
extents<Shape::rank> saved_input_dims(const nlohmann::json& batch_shape, std::string_view where) {
  const std::vector<index> saved = saved_input_extents(batch_shape, where);
  if (saved.size() != Shape::rank)
    throw shape_error(fmt::format("strata: {}: the file's input shape {} has rank {}, the type's {} has rank {}",
                                  where, format_dims(saved), saved.size(), format_dims(Shape::dims), Shape::rank));
  extents<Shape::rank> dims = Shape::dims;
  for (std::size_t i = 0; i < Shape::rank; ++i) {
    if (saved[i] == dyn) continue;
    if (Shape::dims[i] != dyn && Shape::dims[i] != saved[i])
      throw shape_error(fmt::format("strata: {}: the input shape is {} in the file, the type says {}", where,
                                    format_dims(saved), format_dims(Shape::dims)));
    dims[i] = saved[i];
  }
  return dims;
}

/// The input shape a saved layer config carries, if any (Keras 2 and TF.js: batch_input_shape;
/// Keras 3: batch_shape).
inline const nlohmann::json* saved_batch_shape(const nlohmann::json& config) {
  for (const char* key : {"batch_input_shape", "batch_shape"})
    if (const auto found = config.find(key); found != config.end() && !found->is_null()) return &*found;
  return nullptr;
}

/// The `layers` of a saved Sequential config (a list under "layers", or the list itself as
/// Keras 1 wrote it), each checked to be `{"class_name": string, "config": object}`.
inline const nlohmann::json& saved_layers(const nlohmann::json& config) {
  const nlohmann::json* layers = &config;
  if (config.is_object()) {
    const auto found = config.find("layers");
    if (found == config.end())
      throw std::invalid_argument("strata: a Sequential config needs a \"layers\" list, found none");
    layers = &*found;
  }
  if (!layers->is_array())
    throw std::invalid_argument(fmt::format("strata: a Sequential config's \"layers\" must be a list, found {}",
                                            layers->type_name()));
  for (std::size_t i = 0; i < layers->size(); ++i) {
    const nlohmann::json& entry = (*layers)[i];
    const bool ok = entry.is_object() && entry.contains("class_name") && entry["class_name"].is_string() &&
                    entry.contains("config") && entry["config"].is_object();
    if (!ok)
      throw std::invalid_argument(fmt::format(
          "strata: layers[{}] of the Sequential config must be {{\"class_name\": string, \"config\": object}}, found {}",
          i, entry.dump().substr(0, 200)));
  }
  return *layers;
}

}  // namespace detail

template <class InputSpec, class... Layers>
using sequential_base =
    std::conditional_t<detail::chain_accepted<typename detail::chain<typename InputSpec::scalar_type, 0,
                                                                    typename InputSpec::element_type,
                                                                    typename InputSpec::shape_type, Layers...>::stages>::value,
                       typename detail::chain_graph<InputSpec, std::tuple<Layers...>,
                                                    std::index_sequence_for<Layers...>>::engine,
                       detail::rejected_chain>;

/// A chain of layers on one input: a front end of the model engine (engine.hpp) whose graph is a
/// line, with Keras' Sequential API (see the file comment).
template <class InputSpec, class... Layers>
class Sequential : public sequential_base<InputSpec, Layers...> {
  using element_type = typename InputSpec::element_type;
  using engine = sequential_base<InputSpec, Layers...>;

 public:
  /// Parameters are float unless the input is double (for gradient checks); integer input
  /// (Embedding's indices) gives a float model unless the input spec says otherwise.
  using scalar_type = typename InputSpec::scalar_type;
  using input_shape = typename InputSpec::shape_type;
  using input_tensor = tensor<element_type, input_shape>;
  /// Every layer's input and output shape, checked one by one at compile time.
  using plan = detail::chain<scalar_type, 0, element_type, input_shape, Layers...>;
  using output_shape = typename plan::output_shape;
  using output_tensor = tensor<scalar_type, output_shape>;
  static constexpr std::size_t layer_count = sizeof...(Layers);
  static_assert(layer_count > 0, "strata: a Sequential model needs at least one layer");

  /// Builds every layer (weights initialised reproducibly from `default_seed`). Each element is a
  /// layer of its own, even when two are copies of one layer object.
  explicit Sequential(InputSpec input, Layers... layers) : engine("sequential") {
    if constexpr (!std::is_same_v<engine, detail::rejected_chain>) {  // else only the checks' messages
      this->state_->functional = false;
      this->template add_input<0>(input);
      add_layers(std::index_sequence_for<Layers...>{}, std::move(layers)...);
      this->template set_output<0>(0);
      this->assign_positions_and_names(/*name_inputs=*/false);
      this->initialize(engine::default_seed);
    }
  }

  /// Keras' class name of the model, as saved in model.json.
  static constexpr const char* class_name = "Sequential";

  /// The layer at `Position` (its config; read only, since the weights were built from it) and
  /// its stored weights. A moved-from model has none of these.
  template <std::size_t Position>
  [[nodiscard]] const auto& layer() const {
    return stage<Position>().layer;
  }
  /// Freezes (false) or unfreezes the layer at `Position`, as Keras' `layer.trainable = ...`.
  template <std::size_t Position>
  void set_trainable(bool trainable) {
    stage<Position>().layer.trainable = trainable;
  }
  template <std::size_t Position>
  [[nodiscard]] const std::string& layer_name() const {
    return stage<Position>().name;
  }
  template <std::size_t Position>
  [[nodiscard]] auto& weights() {
    return *stage<Position>().weights;
  }

  /// Saves the model in the TensorFlow.js layers-model format (strata::save): model.json and
  /// weight shards in folder `dir`, written atomically.
  void save(const std::filesystem::path& dir) const { strata::save(*this, dir); }
  /// Reads the weights saved in folder `dir` (by strata or TF.js), checked against this model
  /// (strata::load_weights); a bad file changes nothing.
  void load_weights(const std::filesystem::path& dir) { strata::load_weights(*this, dir); }

  /// Trains the model (strata::fit, training/fit.hpp): Keras' `model.fit(x, y, ...)`, with the
  /// loss and optimizer given here rather than to compile. A trailing validation_data{x, y} is
  /// validated on after every epoch.
  template <class X, class Y, class Loss, class Optimizer, class... Validation>
  history fit(const X& x, const Y& y, const Loss& loss, Optimizer&& optimizer, fit_options options = {},
              Validation... validation) {
    return strata::fit(*this, x, y, loss, std::forward<Optimizer>(optimizer), std::move(options), validation...);
  }

  /// The mean loss and metrics on (x, y) in inference mode (strata::evaluate).
  template <class X, class Y, class Loss>
  logs evaluate(const X& x, const Y& y, const Loss& loss, evaluate_options options = {}) {
    return strata::evaluate(*this, x, y, loss, std::move(options));
  }

  /// Keras' Sequential config: `{"name": "sequential", "layers": [{"class_name", "config"}, ...]}`,
  /// the first layer's config carrying `batch_input_shape` (null for dyn).
  [[nodiscard]] nlohmann::json get_config() const {
    nlohmann::json layers = nlohmann::json::array();
    each_stage([&](const auto& st) {
      nlohmann::json config = strata::get_config(st.layer, dtype_name<scalar_type>());
      config["name"] = st.name;
      if (layers.empty()) {
        nlohmann::json shape = nlohmann::json::array();
        for (index d : this->input_dims()) shape.push_back(d == dyn ? nlohmann::json(nullptr) : nlohmann::json(d));
        config["batch_input_shape"] = shape;
      }
      layers.push_back({{"class_name", st.layer.class_name}, {"config", std::move(config)}});
    });
    return {{"name", this->name()}, {"layers", std::move(layers)}};
  }

  /// Keras' `Sequential.from_config`: the model whose layers are read from `config` (as
  /// get_config writes it, or as Keras and TF.js do: an InputLayer first, `batch_shape`, the
  /// variants strata::from_config accepts), checked against this type: the layer count, each
  /// layer's class name, and the input shape. Errors name the layer and what was expected.
  /// The weights are drawn anew; strata::load reads them from the file too.
  [[nodiscard]] static Sequential from_config(const nlohmann::json& config) {
    const nlohmann::json& saved = detail::saved_layers(config);
    std::size_t first = 0;
    const nlohmann::json* batch_shape = nullptr;
    if (!saved.empty() && saved[0]["class_name"] == "InputLayer") {  // Keras writes the input as a layer
      batch_shape = detail::saved_batch_shape(saved[0]["config"]);
      first = 1;
    }
    if (saved.size() - first != layer_count) {
      std::string found;
      for (std::size_t i = first; i < saved.size(); ++i)
        found += fmt::format("{}{}", i > first ? ", " : "", saved[i]["class_name"].get<std::string>());
      throw std::invalid_argument(fmt::format("strata: the saved Sequential has {} layers ({}), the type has {} ({})",
                                              saved.size() - first, found, layer_count,
                                              fmt::join(std::initializer_list<std::string_view>{Layers::class_name...}, ", ")));
    }
    if (batch_shape == nullptr && layer_count > 0) batch_shape = detail::saved_batch_shape(saved[first]["config"]);
    InputSpec input{};
    if (batch_shape != nullptr) input.dims = detail::saved_input_dims<input_shape>(*batch_shape, "the input shape");
    auto layers = layers_from_config(saved, first, std::index_sequence_for<Layers...>{});
    return std::apply([&](auto&... each) { return Sequential(std::move(input), std::move(each)...); }, layers);
  }

 private:
  template <std::size_t... I>
  void add_layers(std::index_sequence<I...>, Layers... layers) {
    // A fresh identity each: the same layer object twice in a chain is two layers, as before.
    ((layers.identity = detail::layer_identity{}, this->template add_layer<I + 1>(layers, {0})), ...);
  }

  template <std::size_t I>
  auto& stage() {
    return this->template node<I + 1>().instances.front();
  }
  template <std::size_t I>
  const auto& stage() const {
    return this->template node<I + 1>().instances.front();
  }
  template <class Visitor>
  void each_stage(Visitor&& visit) const {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (visit(stage<I>()), ...);
    }(std::index_sequence_for<Layers...>{});
  }

  template <std::size_t... I>
  static std::tuple<Layers...> layers_from_config(const nlohmann::json& saved, std::size_t first,
                                                  std::index_sequence<I...>) {
    return std::tuple<Layers...>{layer_from_config<Layers>(saved[first + I], I)...};  // braces: in order
  }
  template <class Layer>
  static Layer layer_from_config(const nlohmann::json& entry, std::size_t position) {
    const nlohmann::json& config = entry["config"];
    const auto name = config.find("name");
    const std::string shown = name != config.end() && name->is_string() ? name->get<std::string>() : "";
    if (entry["class_name"] != Layer::class_name)
      throw std::invalid_argument(fmt::format("strata: layer {} '{}': expected class {} (the model's type), found {}",
                                              position, shown, Layer::class_name, entry["class_name"].dump()));
    return detail::naming_layer(position, shown, Layer::class_name, [&] { return Layer::from_config(config); });
  }

};

template <class InputSpec, class... Layers>
Sequential(InputSpec, Layers...) -> Sequential<InputSpec, Layers...>;

}  // namespace strata
