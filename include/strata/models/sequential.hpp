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
#include "strata/models/summary.hpp"
#include "strata/serialization/saving.hpp"
#include "strata/training/fit.hpp"

namespace strata {

/// A model's input: element type, static shape, and the run-time extents known before data
/// arrives (`dyn` where they are not, such as the batch size).
///
///     strata::Input<strata::dyn, 784>{}                  // float, (None, 784)
///     strata::Input<strata::dyn, strata::dyn>::of<std::int32_t>{}   // token indices
template <class Element, shape_type Shape, scalar Scalar = std::conditional_t<scalar<Element>, Element, float>>
struct input {
  using element_type = Element;
  using shape_type = Shape;
  /// The scalar type of the model's weights and outputs.
  using scalar_type = Scalar;
  template <class E>
  using of = input<E, Shape>;

  extents<Shape::rank> dims = Shape::dims;
};

template <index... Dims>
using Input = input<float, shape<Dims...>>;

/// How a model runs a forward pass.
struct forward_options {
  bool training = false;
  /// The step a random layer (Dropout) draws for; unset: the model counts training steps itself.
  std::optional<std::uint64_t> step{};
};

namespace detail {

template <class Layer>
constexpr input_requirements requirements_of() {
  if constexpr (requires { Layer::input_requirements; }) {
    return Layer::input_requirements;
  } else {
    return {};
  }
}

/// Checks that the layer at `Position` takes an input of shape `In` and element type `Element`.
/// When it does not, g++ prints this class's name (position, layer type, input shape, element
/// type, what the layer needs) right above the message.
template <std::size_t Position, class Layer, shape_type In, class Element, input_requirements Needs>
struct layer_must_accept_input {
  static constexpr bool rank_ok = In::rank >= Needs.min_rank && In::rank <= Needs.max_rank;
  static constexpr bool element_ok = Needs.integer == !scalar<Element>;
  static_assert(rank_ok,
                "strata: the layer above (position, type) cannot take an input of this shape: its rank is outside "
                "the layer's input_requirements {min_rank, max_rank, integer}");
  static_assert(!rank_ok || element_ok,
                "strata: the layer above (position, type) cannot take this element type: it needs integer indices "
                "when input_requirements.integer is true, floating-point values otherwise");
  static constexpr bool value = rank_ok && element_ok;
};

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

template <class Layer>
struct must_be_layer {
  static_assert(layer<Layer>,
                "strata: a model's element (above) is not a layer: declare its config with STRATA_CONFIG and give it "
                "a call(x, weights...)");
  static constexpr bool value = layer<Layer>;
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

/// What a model keeps for one layer: the layer, its weights, its output buffer, its expression.
template <scalar T, class Stage>
struct stage_state {
  typename Stage::layer_type layer;
  std::string name;
  typename Stage::storage_type weights{};
  extents<Stage::input_shape::rank> input_dims{};                     // as built; dyn: unknown
  extents<Stage::output_shape::rank> output_dims{};                   // as built; dyn: unknown
  const typename Stage::input_tensor* input = nullptr;                // of the last forward pass
  tensor<T, typename Stage::output_shape> output;                     // materialised at the boundary
  tensor<T, typename Stage::input_shape> input_gradient;              // d loss / d input
  std::optional<typename Stage::expression_type> expression;          // kept for backward
};

template <class Stages, scalar T>
struct state_tuple;
template <class... Stages, scalar T>
struct state_tuple<std::tuple<Stages...>, T> {
  using type = std::tuple<stage_state<T, Stages>...>;
};

/// "strata: layer 2 'dense_1' (Dense): <what went wrong>" from an error thrown inside a layer.
inline std::string in_layer(std::size_t position, const std::string& name, const char* class_name,
                            std::string_view what) {
  constexpr std::string_view prefix = "strata: ";
  if (what.starts_with(prefix)) what.remove_prefix(prefix.size());
  // A run-time model runs each layer as a one-layer model (models/dynamic.hpp), which names it
  // as layer 0 first: that inner name gives way to the outer one.
  const std::string inner = fmt::format("layer 0 '{}' ({}): ", name, class_name);
  if (what.starts_with(inner)) what.remove_prefix(inner.size());
  return fmt::format("strata: layer {} '{}' ({}): {}", position, name, class_name, what);
}

/// Runs `action`, rethrowing its errors with the layer named (same exception type).
template <class Action>
decltype(auto) naming_layer(std::size_t position, const std::string& name, const char* class_name, Action&& action) {
  try {
    return action();
  } catch (const shape_error& error) {
    throw shape_error(in_layer(position, name, class_name, error.what()));
  } catch (const std::out_of_range& error) {
    throw std::out_of_range(in_layer(position, name, class_name, error.what()));
  } catch (const std::invalid_argument& error) {
    throw std::invalid_argument(in_layer(position, name, class_name, error.what()));
  }
}

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
class Sequential {
  using element_type = typename InputSpec::element_type;

 public:
  /// Parameters are float unless the input is double (for gradient checks); integer input
  /// (Embedding's indices) gives a float model unless the input spec says otherwise.
  using scalar_type = typename InputSpec::scalar_type;
  using input_shape = typename InputSpec::shape_type;
  using input_tensor = tensor<element_type, input_shape>;
  using plan = detail::chain<scalar_type, 0, element_type, input_shape, Layers...>;
  using stages = typename plan::stages;
  using output_shape = typename plan::output_shape;
  using output_tensor = tensor<scalar_type, output_shape>;
  static constexpr std::size_t layer_count = sizeof...(Layers);
  static_assert(layer_count > 0, "strata: a Sequential model needs at least one layer");

  /// Builds every layer (weights initialised reproducibly from `seed`).
  explicit Sequential(InputSpec input, Layers... layers)
      : state_(std::make_unique<state>(std::move(input), std::move(layers)...)) {
    initialize(default_seed);
  }

  /// A moved-from model holds nothing; it may only be assigned to or destroyed.

  Sequential(Sequential&&) noexcept = default;
  Sequential& operator=(Sequential&&) noexcept = default;
  Sequential(const Sequential&) = delete;  // expressions point into the model's own buffers
  Sequential& operator=(const Sequential&) = delete;
  ~Sequential() = default;

  static constexpr std::uint64_t default_seed = 20240611;

  /// Builds the layers again and draws every weight anew from `seed`. If a layer fails to
  /// build, the error names it and the model is left as it was.
  void initialize(std::uint64_t seed) {
    auto fresh = std::make_unique<state>(state_->input, layers(std::index_sequence_for<Layers...>{}));
    fresh->seed = seed;
    detail::name_scope names;
    std::apply([&](auto&... st) { ((st.name = names.unique(st.layer.name, st.layer.class_name)), ...); },
               fresh->stage_states);
    build_from<0>(*fresh, fresh->input.dims, seed);
    state_ = std::move(fresh);
  }

  /// Keras' class name of the model, as saved in model.json.
  static constexpr const char* class_name = "Sequential";

  /// The model's name, as Keras names a Sequential model.
  [[nodiscard]] std::string name() const { return "sequential"; }

  /// The input extents the model was built for (`dyn` where unknown, such as the batch size).
  [[nodiscard]] const extents<input_shape::rank>& input_dims() const { return state_->input.dims; }
  /// The output extents as far as they are known before data arrives.
  [[nodiscard]] const extents<output_shape::rank>& output_dims() const { return stage<layer_count - 1>().output_dims; }

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
    return stage<Position>().weights;
  }

  /// Runs the model and returns its output (a buffer the model owns, valid until the next pass).
  const output_tensor& forward(const input_tensor& x, forward_options options = {}) {
    check_input(x);
    std::uint64_t step = 0;
    if (options.step) {
      step = *options.step;
    } else if (options.training) {
      step = state_->step++;
    }
    forward_from<0>(x, options.training, step);
    return stage<layer_count - 1>().output;
  }

  /// Predicts: the output for `x` in inference mode, as a new tensor.
  [[nodiscard]] output_tensor operator()(const input_tensor& x) { return forward(x); }
  [[nodiscard]] output_tensor predict(const input_tensor& x) { return forward(x); }

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

  /// One forward pass in training mode and the backward pass of `loss(output)` (a scalar
  /// expression of the output tensor): adds the gradient of every trainable weight into its
  /// gradient tensor (zero them between steps) and, if asked, d loss / d x into `input_gradient`.
  template <class Loss>
  scalar_type backward(const input_tensor& x, Loss&& loss, forward_options options = {.training = true},
                       tensor<scalar_type, input_shape>* input_gradient = nullptr) {
    const output_tensor& y = forward(x, options);
    const auto& loss_expression = state_->loss_cache.keep(loss(y));
    state_->output_gradient.resize(y.dims());
    state_->output_gradient.fill(scalar_type(0));
    const scalar_type value = strata::backward(loss_expression, wrt(y, state_->output_gradient));
    backward_from<layer_count - 1>(state_->output_gradient, input_gradient);
    return value;
  }

  /// Sets every gradient to zero (frozen layers' too, so unfreezing starts clean).
  void zero_gradients() {
    for_each_slot([](auto& slot, bool) { slot.gradient.fill(0); });
  }

  /// Calls `visit(name, value, gradient)` for each trainable weight of a trainable layer, in
  /// Keras' order ("dense/kernel", "dense/bias", ...).
  template <class Visitor>
  void for_each_weight(Visitor&& visit) {
    for_each_slot([&](auto& slot, bool layer_trainable) {
      if (layer_trainable && slot.trained()) visit(slot.name, slot.value, slot.gradient);
    });
  }

  /// Calls `visit(name, value, trainable)` for every weight (model state included), in order.
  template <class Visitor>
  void for_each_variable(Visitor&& visit) {
    for_each_slot([&](auto& slot, bool layer_trainable) {
      if (slot.present) visit(slot.name, slot.value, layer_trainable && slot.trained());
    });
  }
  template <class Visitor>
  void for_each_variable(Visitor&& visit) const {
    for_each_slot([&](const auto& slot, bool layer_trainable) {
      if (slot.present) visit(slot.name, slot.value, layer_trainable && slot.trained());
    });
  }

  /// Parameter counts: all, trainable, non-trainable (as summary() prints them).
  [[nodiscard]] parameter_counts count_params() const {
    parameter_counts counts;
    for_each_variable([&](const std::string&, const auto& value, bool trainable) {
      (trainable ? counts.trainable : counts.non_trainable) += value.size();
    });
    counts.total = counts.trainable + counts.non_trainable;
    return counts;
  }

  /// Keras' model summary: one row per layer (name, type, output shape, parameters) and totals.
  [[nodiscard]] std::string summary_string() const {
    std::vector<detail::summary_row> rows;
    each_stage([&](auto& st) {
      index params = 0;
      detail::for_each_slot(st.weights, [&](const auto& slot) {
        if (slot.present) params += slot.value.size();
      });
      rows.push_back({fmt::format("{} ({})", st.name, st.layer.class_name), format_dims(st.output_dims), params});
    });
    return detail::summary_table(name(), rows, count_params());
  }

  /// Prints `summary_string()` to standard output.
  void summary() const { std::fputs(summary_string().c_str(), stdout); }

  /// Keras' Sequential config: `{"name": "sequential", "layers": [{"class_name", "config"}, ...]}`,
  /// the first layer's config carrying `batch_input_shape` (null for dyn).
  [[nodiscard]] nlohmann::json get_config() const {
    nlohmann::json layers = nlohmann::json::array();
    each_stage([&](const auto& st) {
      nlohmann::json config = strata::get_config(st.layer, dtype_name<scalar_type>());
      config["name"] = st.name;
      if (layers.empty()) {
        nlohmann::json shape = nlohmann::json::array();
        for (index d : state_->input.dims) shape.push_back(d == dyn ? nlohmann::json(nullptr) : nlohmann::json(d));
        config["batch_input_shape"] = shape;
      }
      layers.push_back({{"class_name", st.layer.class_name}, {"config", std::move(config)}});
    });
    return {{"name", name()}, {"layers", std::move(layers)}};
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
  using states = typename detail::state_tuple<stages, scalar_type>::type;

  struct state {
    state(InputSpec input_spec, Layers... layers) : input(std::move(input_spec)) {
      assign_layers(std::index_sequence_for<Layers...>{}, std::move(layers)...);
    }
    state(InputSpec input_spec, std::tuple<Layers...> layers) : input(std::move(input_spec)) {
      std::apply([&](auto&... each) { assign_layers(std::index_sequence_for<Layers...>{}, std::move(each)...); },
                 layers);
    }
    template <std::size_t... I>
    void assign_layers(std::index_sequence<I...>, Layers... layers) {
      ((std::get<I>(stage_states).layer = std::move(layers)), ...);
    }

    InputSpec input;
    states stage_states;
    std::uint64_t seed = default_seed;
    std::uint64_t step = 0;
    output_tensor output_gradient;
    detail::expression_cache loss_cache;  // the last loss expression, whose buffers the next reuses
  };

  template <std::size_t I>
  auto& stage() {
    return std::get<I>(state_->stage_states);
  }
  template <std::size_t I>
  const auto& stage() const {
    return std::get<I>(state_->stage_states);
  }
  template <class Visitor>
  void each_stage(Visitor&& visit) {
    std::apply([&](auto&... st) { (visit(st), ...); }, state_->stage_states);
  }
  template <class Visitor>
  void each_stage(Visitor&& visit) const {
    std::apply([&](const auto&... st) { (visit(st), ...); }, state_->stage_states);
  }
  template <class Visitor>
  void for_each_slot(Visitor&& visit) {
    each_stage([&](auto& st) { detail::for_each_slot(st.weights, [&](auto& slot) { visit(slot, st.layer.trainable); }); });
  }
  template <class Visitor>
  void for_each_slot(Visitor&& visit) const {
    each_stage(
        [&](const auto& st) { detail::for_each_slot(st.weights, [&](const auto& slot) { visit(slot, st.layer.trainable); }); });
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

  template <std::size_t... I>
  std::tuple<Layers...> layers(std::index_sequence<I...>) const {
    return std::tuple<Layers...>(stage<I>().layer...);
  }

  template <std::size_t I, std::size_t Rank>
  void build_from(state& target, const extents<Rank>& input_dims, std::uint64_t seed) {
    using stage_type = std::tuple_element_t<I, stages>;
    using T = scalar_type;
    auto& st = std::get<I>(target.stage_states);
    detail::naming_layer(I, st.name, st.layer.class_name, [&] {
      detail::name_scope inner_names;  // sub-layers' names are local to their layer
      builder<T, typename stage_type::input_shape, typename stage_type::element_type> b(input_dims, inner_names);
      auto specs = detail::build_weights(st.layer, b);
      // The layer's own `trainable` is read at every step (set_trainable); sub-layers' at build.
      detail::scope_weights(specs, st.name, /*layer_trainable=*/true);
      st.weights = detail::make_storage<T>(specs, detail::mix_seed(seed, I));
      st.input_dims = input_dims;
      st.output_dims = detail::probe_output_dims<T, typename stage_type::layer_type, typename stage_type::element_type,
                                                 typename stage_type::input_shape>(st.layer, input_dims, st.weights);
    });
    if constexpr (I + 1 < layer_count) build_from<I + 1>(target, st.output_dims, seed);
  }

  void check_input(const input_tensor& x) const {
    const auto& expected = state_->input.dims;
    for (std::size_t i = 0; i < expected.size(); ++i)
      if (expected[i] != dyn && expected[i] != x.dims()[i])
        throw shape_error(fmt::format("strata: {}: the input must have shape {}, found {}", name(),
                                      format_dims(expected), format_dims(x.dims())));
  }

  template <std::size_t I, class X>
  void forward_from(const X& x, bool training, std::uint64_t step) {
    auto& st = stage<I>();
    const call_context context{training, detail::mix_seed(detail::mix_seed(state_->seed, I), step), step};
    detail::naming_layer(I, st.name, st.layer.class_name, [&] {
      st.input = &x;
      // Built anew each pass (the context and the extents may change); the last one's buffers
      // are handed over first, so a steady-state step allocates nothing.
      auto fresh = layer_expression<scalar_type>(st.layer, x, st.weights, context);
      if (st.expression) detail::recycle(fresh, *st.expression);
      st.expression.reset();
      st.expression.emplace(std::move(fresh));
      eval_into(*st.expression, st.output);
    });
    if constexpr (I + 1 < layer_count) forward_from<I + 1>(st.output, training, step);
  }

  template <std::size_t I, class Adjoint>
  void backward_from(const Adjoint& adjoint, tensor<scalar_type, input_shape>* input_gradient) {
    using stage_type = std::tuple_element_t<I, stages>;
    using slot = typename gradient_sink<scalar_type>::slot;
    auto& st = stage<I>();
    std::array<slot, detail::slot_count<typename stage_type::storage_type>() + 1> slots{};
    std::size_t used = 0;
    if (st.layer.trainable) {
      detail::for_each_slot(st.weights, [&](auto& w) {
        if (w.trained()) slots[used++] = {w.value.data(), w.gradient.data()};
      });
    }
    if constexpr (scalar<typename stage_type::element_type>) {
      if (I > 0 || input_gradient != nullptr) {
        st.input_gradient.resize(st.input->dims());
        st.input_gradient.fill(scalar_type(0));
        slots[used++] = {st.input->data(), st.input_gradient.data()};
      }
    }
    const gradient_sink<scalar_type> sink(std::span<const slot>(slots.data(), used));
    detail::naming_layer(I, st.name, st.layer.class_name, [&] {
      if (st.expression->depends_on(sink)) st.expression->backward(adjoint.canvas(), sink);
    });
    if constexpr (I > 0) {
      backward_from<I - 1>(st.input_gradient, input_gradient);
    } else if constexpr (scalar<typename stage_type::element_type>) {
      if (input_gradient != nullptr) *input_gradient = st.input_gradient;
    }
  }

  std::unique_ptr<state> state_;
};

template <class InputSpec, class... Layers>
Sequential(InputSpec, Layers...) -> Sequential<InputSpec, Layers...>;

}  // namespace strata
