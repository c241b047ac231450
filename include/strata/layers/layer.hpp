#pragma once
/// \file The layer contract: Keras' `__init__` / `build` / `call` / `get_config` as a C++ type.
///
///     struct ScaledExponential {
///       STRATA_CONFIG(ScaledExponential, (float, scale_factor, 1.0f));   // __init__ + get_config
///
///       template <class Builder>
///       auto build(Builder& b) const {                                   // once the input shape is known
///         return b.weight("exponent", strata::dims(b.last()), strata::init::ones);
///       }
///       auto call(auto x, auto exponent) const {                         // an expression
///         return scale_factor * strata::exp(x * exponent);
///       }
///     };
///
/// - `build(b)` is optional (a layer without weights has none). It returns one weight, or
///   `strata::weights(...)` of several; each weight's shape type comes from `strata::dims(...)`:
///   static where the extents it uses are (`b.last()` is static when the input's last extent is),
///   run time where they are `dyn`.
/// - `call(x, weights..., [ctx])` gets the input as an expression and its weights in the order
///   `build` returned them, as expressions too (so taking them by value is safe); non-trainable
///   ones are `state_ref`s, which the layer may `assign` in training. A sub-layer's weights come
///   as a tuple of the same. With a last parameter `const strata::call_context&` it learns whether
///   the model trains. Its result's type gives the layer's output shape: there is no separate
///   compute_output_shape to keep in sync. A tensor made inside `call` must be moved into the
///   expression (`std::move`), which then owns it; an lvalue is held by reference.
/// - Nobody writes a backward pass: gradients come from the expression `call` returns.

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include <fmt/format.h>

#include "strata/core/shape.hpp"
#include "strata/eval/evaluate.hpp"
#include "strata/expr/node.hpp"
#include "strata/layers/config.hpp"
#include "strata/layers/initializers.hpp"
#include "strata/tensor/tensor.hpp"

namespace strata {

/// What a layer's `call` may ask about the step it runs in.
struct call_context {
  bool training = false;
  /// A seed for this layer and this step (the model derives it from its seed, the layer's
  /// position and the step), so random layers such as Dropout are reproducible.
  std::uint64_t seed = 0;
  /// The step itself, for a layer with a seed of its own (Dropout{.seed = 5}): its draws then
  /// depend on its seed and the step only, not on the model's seed or the layer's position.
  std::uint64_t step = 0;
};

/// A run-time extent whose static extent is `Static` (`dyn` when only the run-time value is known).
template <index Static>
struct extent {
  index value = Static;

  constexpr extent()
    requires(Static != dyn)
  = default;
  explicit constexpr extent(index run_time_value) : value(run_time_value) {}
};

/// The extents of a weight, static where each `extent` is: `strata::dims(b.last(), extent<Units>(units))`.
template <index... Static>
struct weight_dims {
  using shape_type = shape<Static...>;
  extents<sizeof...(Static)> values;
};

namespace detail {
template <class E>
constexpr index as_extent_value(const E& e) {
  if constexpr (std::is_integral_v<E>) {
    return static_cast<index>(e);
  } else {
    return e.value;
  }
}
template <class E>
struct static_extent;
template <index Static>
struct static_extent<extent<Static>> : std::integral_constant<index, Static> {};
template <class E>
  requires std::is_integral_v<E>
struct static_extent<E> : std::integral_constant<index, dyn> {};
}  // namespace detail

/// The extents of a weight from `extent`s (static or run time) and plain numbers (run time).
template <class... E>
constexpr auto dims(const E&... e) {
  return weight_dims<detail::static_extent<E>::value...>{{detail::as_extent_value(e)...}};
}

/// Marks a weight as model state: saved and loaded, updated by the layer in training, never
/// given a gradient (BatchNormalization's moving statistics).
struct non_trainable_t {};
inline constexpr non_trainable_t non_trainable{};

/// A weight as `build` declares it: name, extents, initializer.
template <shape_type Shape, bool Trainable = true>
struct weight_spec {
  using shape_type = Shape;
  static constexpr bool trainable = Trainable;
  std::string name;
  extents<Shape::rank> dims;
  initializer init;
  /// False for a weight the config turns off (Dense with use_bias = false): it stays zero, gets
  /// no gradient, and is neither counted nor saved.
  bool present = true;
  /// True when the (sub-)layer that declared it is frozen (`trainable = false`).
  bool frozen = false;

  [[nodiscard]] weight_spec only_if(bool condition) && {
    present = condition;
    return std::move(*this);
  }
};

/// Several weights (or sub-layers' weights) returned by `build`, in the order `call` takes them.
template <class... W>
auto weights(W... w) {
  return std::tuple<W...>(std::move(w)...);
}

/// A non-trainable weight (model state) as `call` receives it: an expression like a trainable
/// weight (so taking it by value is safe), which the layer may also overwrite in training.
///
///     moving_mean.assign(moving_mean * 0.99f + batch_mean * 0.01f);
template <scalar T, shape_type S>
class state_ref : public tensor_ref<T, S> {
 public:
  explicit state_ref(tensor<T, S>& t) : tensor_ref<T, S>(t), state_(&t) {}

  /// Evaluates `e` into the state (elementwise reads of the state itself are fine).
  template <expression E>
  void assign(const E& e) const {
    eval_into(e, *state_);
  }
  [[nodiscard]] tensor<T, S>& value() const { return *state_; }

 private:
  tensor<T, S>* state_;
};

/// The weight a model stores for a `weight_spec`: value and gradient (unused when non-trainable).
template <scalar T, shape_type Shape, bool Trainable>
struct weight_slot {
  using shape_type = Shape;
  static constexpr bool trainable = Trainable;
  std::string name;
  tensor<T, Shape> value;
  tensor<T, Shape> gradient;
  bool present = true;
  bool frozen = false;

  /// Whether training updates it: a trainable weight, present, of a layer that is not frozen.
  [[nodiscard]] bool trained() const { return Trainable && present && !frozen; }
};

namespace detail {

template <class X>
struct is_tuple : std::false_type {};
template <class... X>
struct is_tuple<std::tuple<X...>> : std::true_type {};

/// Unique names within one model: "dense", "dense_1", ... as Keras does.
class name_scope {
 public:
  /// `requested` if given (an error if already taken), else the class's snake_case name with
  /// the first free suffix.
  std::string unique(const std::string& requested, std::string_view class_name) {
    if (!requested.empty()) {
      if (!taken_.insert(requested).second)
        throw std::invalid_argument(fmt::format("strata: two layers are named '{}'; layer names must be unique", requested));
      return requested;
    }
    const std::string base = snake_case(class_name);
    for (int& count = counts_[base];; ++count) {
      std::string name = count == 0 ? base : fmt::format("{}_{}", base, count);
      if (taken_.insert(name).second) return name;
    }
  }

 private:
  std::map<std::string, int, std::less<>> counts_;
  std::set<std::string, std::less<>> taken_;
};

}  // namespace detail

template <scalar T, shape_type In, class Element = T>
class builder;

namespace detail {

/// `build`'s result as a tuple (one weight, several, or none when the layer has no `build`).
template <class Layer, class Builder>
auto build_weights(const Layer& layer, Builder& b) {
  if constexpr (requires { layer.build(b); }) {
    auto built = layer.build(b);
    if constexpr (is_tuple<decltype(built)>::value) {
      return built;
    } else {
      return std::make_tuple(std::move(built));
    }
  } else {
    return std::tuple<>();
  }
}

/// The storage for a tuple of weight specs (nested tuples are sub-layers' weights).
template <scalar T, class Spec>
struct storage_of;
template <scalar T, shape_type S, bool Trainable>
struct storage_of<T, weight_spec<S, Trainable>> {
  using type = weight_slot<T, S, Trainable>;
};
template <scalar T, class... Specs>
struct storage_of<T, std::tuple<Specs...>> {
  using type = std::tuple<typename storage_of<T, Specs>::type...>;
};
template <scalar T, class Spec>
using storage_t = typename storage_of<T, Spec>::type;

/// Calls `visit(spec)` for every weight spec in a (nested) tuple of specs, in order.
template <class Specs, class Visitor>
void for_each_spec(Specs& specs, Visitor&& visit) {
  if constexpr (is_tuple<Specs>::value) {
    std::apply([&](auto&... inner) { (for_each_spec(inner, visit), ...); }, specs);
  } else {
    visit(specs);
  }
}

/// Names a (sub-)layer's weights "<layer name>/<weight>", and freezes them with the layer.
template <class Specs>
void scope_weights(Specs& specs, const std::string& layer_name, bool layer_trainable) {
  for_each_spec(specs, [&](auto& spec) {
    spec.name = layer_name + "/" + spec.name;
    spec.frozen = spec.frozen || !layer_trainable;
  });
}

/// Calls `visit(slot)` for every weight slot in a (nested) storage tuple, in order.
template <class Storage, class Visitor>
void for_each_slot(Storage& storage, Visitor&& visit) {
  if constexpr (is_tuple<std::remove_const_t<Storage>>::value) {
    std::apply([&](auto&... inner) { (for_each_slot(inner, visit), ...); }, storage);
  } else {
    visit(storage);
  }
}

template <class Storage>
constexpr std::size_t slot_count() {
  if constexpr (is_tuple<Storage>::value) {
    return []<class... Inner>(std::type_identity<std::tuple<Inner...>>) {
      return (std::size_t{0} + ... + slot_count<Inner>());
    }(std::type_identity<Storage>{});
  } else {
    return 1;
  }
}

/// splitmix64 of a combination of two numbers: well-spread seeds for neighbouring weights,
/// layers and steps.
inline std::uint64_t mix_seed(std::uint64_t a, std::uint64_t b) {
  std::uint64_t z = a * 0x9e3779b97f4a7c15ULL + b + 0x632be59bd9b4e019ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// While a model is built from a file, the number of values its weights may hold (the file's
/// own count, and what is left of it): a config asking for more, corrupt or hostile, fails before
/// the memory is allocated. Unset otherwise.
struct weight_allowance {
  index total = 0;
  index left = 0;
};
inline thread_local std::optional<weight_allowance> weight_budget;

/// Sets `weight_budget` to `values` for a scope.
class weight_budget_scope {
 public:
  explicit weight_budget_scope(index values)
      : previous_(std::exchange(weight_budget, weight_allowance{values, values})) {}
  weight_budget_scope(const weight_budget_scope&) = delete;
  weight_budget_scope& operator=(const weight_budget_scope&) = delete;
  ~weight_budget_scope() { weight_budget = previous_; }

 private:
  std::optional<weight_allowance> previous_;
};

/// Takes a present weight's values from what is left of the budget. An absent weight (not saved,
/// but allocated) must only fit the file's total.
template <std::size_t Rank>
void charge_weight_budget(const std::string& name, const extents<Rank>& dims, bool present) {
  if (!weight_budget) return;
  const index limit = present ? weight_budget->left : weight_budget->total;
  index count = 1;
  for (index d : dims) {
    if (d > 0 && count > limit / d) count = limit + 1;  // past the limit: stop multiplying
    else count *= d;
  }
  if (count > limit)
    throw shape_error(fmt::format("strata: weight '{}' of shape {} would hold more values than the file's weights "
                                  "{} ({}); the config does not match the weights",
                                  name, format_dims(dims), present ? "have left" : "have together", limit));
  if (present) weight_budget->left -= count;
}

/// Creates the storage for `specs`; with `initialized`, each weight is drawn from its
/// initializer with a seed mixing `seed` and the weight's index, else it stays zero.
template <scalar T, class Specs>
storage_t<T, Specs> make_storage(const Specs& specs, std::uint64_t seed, bool initialized = true) {
  std::uint64_t counter = 0;
  auto make = [&](auto& self, const auto& spec) {
    using spec_type = std::remove_cvref_t<decltype(spec)>;
    if constexpr (is_tuple<spec_type>::value) {
      // Braces evaluate in order, so weights draw their seeds in declaration order on every compiler.
      return std::apply(
          [&](const auto&... inner) { return std::tuple<decltype(self(self, inner))...>{self(self, inner)...}; }, spec);
    } else {
      charge_weight_budget(spec.name, spec.dims, spec.present && initialized);  // a probe only checks
      storage_t<T, spec_type> slot{spec.name, tensor<T, typename spec_type::shape_type>(spec.dims),
                                   tensor<T, typename spec_type::shape_type>(spec.dims), spec.present, spec.frozen};
      const std::uint64_t weight_seed = mix_seed(seed, ++counter);
      if (initialized && spec.present) initialize(slot.value, spec.init, weight_seed);
      return slot;
    }
  };
  return make(make, specs);
}

/// What `call` receives for a stored weight: trainable ones as expressions, state as `tensor&`,
/// sub-layers' weights as tuples of the same.
template <class Slot>
auto call_argument(Slot& slot) {
  if constexpr (is_tuple<std::remove_const_t<Slot>>::value) {
    return std::apply([](auto&... inner) { return std::make_tuple(call_argument(inner)...); }, slot);
  } else if constexpr (Slot::trainable) {
    return tensor_ref<typename decltype(slot.value)::scalar_type, typename Slot::shape_type>(slot.value);
  } else {
    return state_ref<typename decltype(slot.value)::scalar_type, typename Slot::shape_type>(slot.value);
  }
}

}  // namespace detail

/// Calls `layer.call` with its inputs (a tuple: one for most layers, several for a merge), its call
/// arguments (a tuple, as `build` returned them, turned into expressions and state references)
/// and the context, if `call` takes one.
template <class Layer, class Inputs, class Arguments>
auto call_with_inputs(const Layer& layer, Inputs&& inputs, Arguments&& arguments, const call_context& context) {
  return std::apply(
      [&](auto&&... x) {
        return std::apply(
            [&](auto&&... w) {
              if constexpr (requires { layer.call(std::forward<decltype(x)>(x)..., w..., context); }) {
                return layer.call(std::forward<decltype(x)>(x)..., w..., context);
              } else {
                return layer.call(std::forward<decltype(x)>(x)..., w...);
              }
            },
            std::forward<Arguments>(arguments));
      },
      std::forward<Inputs>(inputs));
}

/// The same with one input `x`.
template <class Layer, class X, class Arguments>
auto call_with_arguments(const Layer& layer, X&& x, Arguments&& arguments, const call_context& context) {
  return call_with_inputs(layer, std::forward_as_tuple(std::forward<X>(x)), std::forward<Arguments>(arguments), context);
}

/// Calls a sub-layer inside another layer's `call`, with the weights its `build` gave (as `call`
/// received them).
template <class Layer, class X, class... W>
auto call_layer(const Layer& layer, X&& x, const std::tuple<W...>& sub_weights, const call_context& context) {
  return call_with_arguments(layer, std::forward<X>(x), sub_weights, context);
}

/// The argument a layer's `call` gets for its input: an expression for floating-point input, a
/// reference to the tensor for integer input (Embedding's indices).
template <scalar T, class Element, shape_type S>
auto input_argument(const tensor<Element, S>& x) {
  if constexpr (scalar<Element>) {
    return tensor_ref<Element, S>(x);
  } else {
    return std::cref(x);
  }
}

/// The expression of `layer` applied to `x` with stored weights `storage`.
template <scalar T, class Layer, class Element, shape_type S, class Storage>
auto layer_expression(const Layer& layer, const tensor<Element, S>& x, Storage& storage, const call_context& context) {
  return as_node<T>(call_with_arguments(layer, input_argument<T>(x), detail::call_argument(storage), context));
}

/// The expression of `layer` applied to several inputs `xs` with stored weights `storage`.
template <scalar T, class Layer, class Storage, class... Elements, shape_type... S>
auto layer_expression_of(const Layer& layer, Storage& storage, const call_context& context,
                         const tensor<Elements, S>&... xs) {
  // Not make_tuple, which would unwrap the reference_wrapper of an integer input.
  return as_node<T>(call_with_inputs(layer, std::tuple<decltype(input_argument<T>(xs))...>(input_argument<T>(xs)...),
                                     detail::call_argument(storage), context));
}

/// One input of a layer as a type: its element type and static shape.
template <class Element, shape_type Shape>
struct input_of {
  using element_type = Element;
  using shape_type = Shape;
  using tensor_type = tensor<Element, Shape>;
};

namespace detail {

/// The output extents of a layer for input extents where `dyn` is unknown (the batch size before
/// data arrives): the expression is built (not evaluated) on two probe inputs with different
/// values for the unknown extents, and an output extent that differs between them is unknown too.
/// Without unknown extents one probe is the real thing: its errors are the layer's errors.
/// `Inputs` are `input_of<Element, Shape>`, one per input of the layer.
template <scalar T, class Layer, class Storage, class... Inputs>
auto probe_call_dims(const Layer& layer, Storage& storage, const extents<Inputs::shape_type::rank>&... input_dims) {
  auto probe = [&](index unknown) {
    auto known = [unknown]<class Input, std::size_t Rank>(std::type_identity<Input>, extents<Rank> dims) {
      for (index& d : dims) d = d == dyn ? unknown : d;
      return typename Input::tensor_type(dims);
    };
    return std::apply(
        [&](const auto&... x) { return layer_expression_of<T>(layer, storage, call_context{}, x...).dims(); },
        std::tuple<typename Inputs::tensor_type...>(known(std::type_identity<Inputs>{}, input_dims)...));
  };
  using out_shape = typename decltype(layer_expression_of<T>(
      layer, storage, call_context{}, std::declval<const typename Inputs::tensor_type&>()...))::shape_type;
  bool any_unknown = false;
  ((any_unknown = any_unknown || std::find(input_dims.begin(), input_dims.end(), dyn) != input_dims.end()), ...);
  if (!any_unknown) return probe(0);
  // A layer may constrain an unknown extent (a Reshape of the sequence axis) so that one probe
  // fails and the other fits: the output extents then stay as static as the type says until data
  // arrives and is checked. When both fail, no input can fit: that error is the layer's.
  std::optional<extents<out_shape::rank>> first, second;
  std::optional<shape_error> failure;
  try {
    first = probe(2);
  } catch (const shape_error& error) {
    failure = error;
  }
  try {
    second = probe(3);
  } catch (const shape_error& error) {
    // With several inputs, one probe value for every unknown extent may fail where data would fit
    // ((None, None) + (None, 4)): data is checked when it arrives.
    if (!first && sizeof...(Inputs) == 1) throw;
    failure = error;
  }
  if (!first || !second) return out_shape::dims;
  for (std::size_t i = 0; i < first->size(); ++i)
    if ((*first)[i] != (*second)[i]) (*first)[i] = dyn;
  return *first;
}

/// The same for a layer of one input.
template <scalar T, class Layer, class Element, shape_type In, class Storage>
auto probe_output_dims(const Layer& layer, const extents<In::rank>& input_dims, Storage& storage) {
  return probe_call_dims<T, Layer, Storage, input_of<Element, In>>(layer, storage, input_dims);
}

}  // namespace detail

/// What `build` gets: the input shape type `In` and its run-time extents (`dyn` where not known
/// when the model is built, such as the batch size), and `weight(...)` to declare weights.
template <scalar T, shape_type In, class Element>
class builder {
 public:
  using input_shape = In;
  using scalar_type = T;
  using element_type = Element;

  builder(const extents<In::rank>& input_dims, detail::name_scope& names) : input_dims_(input_dims), names_(&names) {}

  [[nodiscard]] const extents<In::rank>& input_dims() const { return input_dims_; }

  /// The input's extent along `Axis` (negative counts from the end), static where the shape's is.
  template <int Axis>
  [[nodiscard]] extent<In::dim(Axis)> input_extent() const {
    static_assert(normalize_axis(Axis, In::rank) >= 0, "strata: builder::input_extent: axis out of range");
    const index value = input_dims_[static_cast<std::size_t>(normalize_axis(Axis, In::rank))];
    if (value == dyn)
      throw shape_error(fmt::format("strata: axis {} of the input {} must be known to build this layer's weights",
                                    Axis, format_dims(input_dims_)));
    return extent<In::dim(Axis)>(value);
  }

  /// The input's last extent (its features): what most layers size their weights by.
  [[nodiscard]] extent<In::last> last() const { return input_extent<-1>(); }

  /// Declares a trainable weight.
  template <index... Static>
  [[nodiscard]] weight_spec<shape<Static...>> weight(std::string name, const weight_dims<Static...>& dims,
                                                     initializer init) const {
    auto checked_dims = checked(name, dims);
    return {std::move(name), checked_dims, std::move(init)};
  }

  /// Declares a non-trainable weight (model state).
  template <index... Static>
  [[nodiscard]] weight_spec<shape<Static...>, false> weight(std::string name, const weight_dims<Static...>& dims,
                                                            initializer init, non_trainable_t) const {
    auto checked_dims = checked(name, dims);
    return {std::move(name), checked_dims, std::move(init)};
  }

  /// Builds a sub-layer on this builder's input: its weights, named "<sub-layer name>/<weight>".
  template <class Layer>
  [[nodiscard]] auto build(const Layer& layer) const {
    const std::string layer_name = names_->unique(layer.name, Layer::class_name);
    auto specs = detail::build_weights(layer, *this);
    detail::scope_weights(specs, layer_name, layer.trainable);
    return specs;
  }

  /// A builder for the output of `layer` (built here, with the weights `build(layer)` returned).
  template <class Layer, class Specs>
  [[nodiscard]] auto next(const Layer& layer, const Specs& specs) const {
    auto storage = detail::make_storage<T>(specs, 0, /*initialized=*/false);  // only shapes matter here
    using expression_type =
        decltype(layer_expression<T>(layer, std::declval<const tensor<Element, In>&>(), storage, call_context{}));
    using out_shape = typename expression_type::shape_type;
    return builder<T, out_shape, T>(detail::probe_output_dims<T, Layer, Element, In>(layer, input_dims_, storage),
                                    *names_);
  }

 private:
  template <index... Static>
  static extents<sizeof...(Static)> checked(const std::string& name, const weight_dims<Static...>& dims) {
    constexpr extents<sizeof...(Static)> expected{Static...};
    for (std::size_t i = 0; i < expected.size(); ++i) {
      if (dims.values[i] < 0)
        throw shape_error(fmt::format("strata: weight '{}': axis {} has no extent (a size left unset in the config?); "
                                      "its extents are {}",
                                      name, i, format_dims(dims.values)));
      if (expected[i] != dyn && dims.values[i] != expected[i])
        throw shape_error(fmt::format("strata: weight '{}': the config gives extents {} where the type says {}", name,
                                      format_dims(dims.values), format_dims(expected)));
    }
    return dims.values;
  }

  extents<In::rank> input_dims_;
  detail::name_scope* names_;
};

/// What `build` gets for a layer of several inputs (a merge, attention): the first input's builder,
/// whose `weight(...)` declares weights, and `input<I>()`, a builder for input I, to read its extents
/// (`b.input<1>().last()`).
template <scalar T, class... Inputs>
class multi_input_builder : public builder<T, typename std::tuple_element_t<0, std::tuple<Inputs...>>::shape_type,
                                           typename std::tuple_element_t<0, std::tuple<Inputs...>>::element_type> {
  using first = std::tuple_element_t<0, std::tuple<Inputs...>>;
  using base = builder<T, typename first::shape_type, typename first::element_type>;

 public:
  multi_input_builder(detail::name_scope& names, const extents<Inputs::shape_type::rank>&... input_dims)
      : base(std::get<0>(std::tie(input_dims...)), names), inputs_(builder_of<Inputs>(input_dims, names)...) {}

  static constexpr std::size_t input_count = sizeof...(Inputs);

  template <std::size_t I>
  [[nodiscard]] const auto& input() const {
    return std::get<I>(inputs_);
  }

 private:
  template <class Input>
  using builder_of = builder<T, typename Input::shape_type, typename Input::element_type>;
  std::tuple<builder_of<Inputs>...> inputs_;
};

/// The input a layer needs, checked when a model is put together (a compile error naming the
/// layer's position and type and the shape it was given). A layer states it with
/// `static constexpr strata::input_requirements input_requirements{...};`.
struct input_requirements {
  std::size_t min_rank = 1;
  std::size_t max_rank = 8;
  bool integer = false;  // integer indices (Embedding) rather than floating-point values
};

/// A type that follows the layer contract above.
template <class L>
concept layer = std::is_class_v<L> && std::is_copy_constructible_v<L> && requires(const L& l) {
  { L::class_name } -> std::convertible_to<const char*>;
  l.name;
  l.trainable;
};

}  // namespace strata
