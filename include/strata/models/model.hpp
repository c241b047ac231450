#pragma once
/// \file What every model shares: its input specs, how a forward pass runs, the compile-time
/// checks of a layer against its input, and run-time errors that name the layer.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <fmt/format.h>

#include "strata/core/error.hpp"
#include "strata/core/shape.hpp"
#include "strata/layers/layer.hpp"

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
  /// The input's name in a functional model ("input_layer", "input_layer_1", ... when empty).
  std::string name{};
  /// Which input this is: a copy is the same input (see layer_identity).
  detail::layer_identity identity{};

  static constexpr const char* class_name = "InputLayer";
  static constexpr bool symbolic_input = true;  // layers apply to it (models/functional.hpp)
};

template <index... Dims>
using Input = input<float, shape<Dims...>>;

/// How a model runs a forward pass.
struct forward_options {
  bool training = false;
  /// The step a random layer (Dropout) draws for; unset: the model counts training steps itself.
  std::optional<std::uint64_t> step{};
};

/// The model contract: what fit, evaluate, predict, the optimizers and checkpoints use, written
/// once. strata::Model and strata::Sequential are models; a model has
///
///     using scalar_type;                                    // of its weights: float, double for gradcheck
///     static constexpr std::size_t input_count, output_count;
///     template <std::size_t K> using input_tensor_at = ...;  // the tensor type of input K
///     template <std::size_t K> using output_tensor_at = ...; // and of output K
///     using input_tensors = ...;        // what it runs on: the input tensor, or a tuple of references to them
///     decltype(auto) forward(const input_tensors&, forward_options);   // the output, or a tuple of outputs
///     scalar_type backward(const input_tensors&, Loss loss, forward_options);  // loss(outputs...) -> scalar expression
///     void zero_gradients();
///     void for_each_weight(Visitor visit);     // visit(name, value, gradient): each trainable weight
///     void for_each_variable(Visitor visit);   // visit(name, value, trainable): every weight, state too
///     template <std::size_t K> std::string output_name() const;   // names its losses and metrics in logs
template <class M>
concept model = requires(M& m, const M& c, const typename M::input_tensors& xs) {
  typename M::scalar_type;
  { M::input_count } -> std::convertible_to<std::size_t>;
  { M::output_count } -> std::convertible_to<std::size_t>;
  typename M::template input_tensor_at<0>;
  typename M::template output_tensor_at<0>;
  m.forward(xs, forward_options{});
  m.zero_gradients();
  m.for_each_weight([](const std::string&, auto&, auto&) {});
  m.for_each_variable([](const std::string&, auto&, bool) {});
  { c.template output_name<0>() } -> std::convertible_to<std::string>;
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

template <class Layer>
struct must_be_layer {
  static_assert(layer<Layer>,
                "strata: a model's element (above) is not a layer: declare its config with STRATA_CONFIG and give it "
                "a call(x, weights...)");
  static constexpr bool value = layer<Layer>;
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

}  // namespace detail
}  // namespace strata
