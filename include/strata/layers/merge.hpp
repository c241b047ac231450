#pragma once
/// \file Keras' merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum and Concatenate.
/// They take several inputs, so they are used in functional models (models/functional.hpp):
///
///     auto sum    = strata::Add{}(a, b);                 // a + b, numpy broadcasting
///     auto joined = strata::Concatenate{}(a, b, c);      // along the last axis
///     auto rows   = strata::Concatenate<1>{.axis = 1}(a, b);
///
/// Elementwise merges need shapes that broadcast (equal extents, or a static 1, counting from the
/// last axis); Concatenate needs one rank and equal extents but on its axis. A model whose inputs
/// do not fit fails to compile with the layers that made them and their shapes named; a `dyn`
/// extent is checked when data arrives.

#include <cstddef>
#include <stdexcept>

#include <fmt/format.h>

#include "strata/core/shape.hpp"
#include "strata/expr/ops/concatenate.hpp"
#include "strata/expr/ops/elementwise_binary.hpp"
#include "strata/layers/config.hpp"
#include "strata/layers/layer.hpp"

namespace strata {
namespace detail {

/// Whether shapes broadcast together: on every axis (from the last) the extents that are not a
/// static 1 agree, which holds when every pair of them broadcasts.
template <class... Shapes>
constexpr bool shapes_broadcast() {
  bool ok = true;
  auto pair = [&]<class A>(std::type_identity<A>) {
    ((ok = ok && broadcast_rule(A::dims, Shapes::dims, A::dims, Shapes::dims).ok), ...);
  };
  (pair(std::type_identity<Shapes>{}), ...);
  return ok;
}

/// The inputs a merge layer `Merge` is given in a model: each as `graph_input<layer that made it,
/// its shape>`, so that the compiler names them right above the message.
template <class Merge, std::size_t MinInputs, std::size_t MaxInputs, class... Inputs>
struct merge_inputs_must_broadcast {
  static constexpr bool count_ok = sizeof...(Inputs) >= MinInputs && sizeof...(Inputs) <= MaxInputs;
  static constexpr bool value = count_ok && shapes_broadcast<typename Inputs::shape_type...>();
  static_assert(count_ok,
                "strata: the merge layer above is given too few or too many inputs (Subtract takes 2, the others 2 "
                "or more)");
  static_assert(!count_ok || value,
                "strata: the merge layer above cannot combine its inputs (above: the layer that made each one and its "
                "shape): elementwise merges need equal extents, or a static 1, counting from the last axis");
};

template <int Axis, class... Inputs>
struct concatenate_inputs_must_agree {
  static constexpr bool value =
      sizeof...(Inputs) >= 2 && static_concatenate_rule<Axis, typename Inputs::shape_type...>().ok;
  static_assert(sizeof...(Inputs) >= 2, "strata: Concatenate needs 2 or more inputs");
  static_assert(sizeof...(Inputs) < 2 || value,
                "strata: Concatenate (axis above) cannot join its inputs (above: the layer that made each one and its "
                "shape): they need one rank and equal extents on every axis but the concatenation axis");
};

/// Folds `combine` over the inputs from the left: combine(combine(x0, x1), x2) ...
template <class Combine, class X>
auto fold_inputs(Combine&&, X x) {
  return x;
}
template <class Combine, class X, class Y, class... Rest>
auto fold_inputs(Combine&& combine, X x, Y y, Rest... rest) {
  return fold_inputs(combine, combine(std::move(x), std::move(y)), std::move(rest)...);
}

}  // namespace detail

/// Sums its inputs.
struct Add {
  STRATA_CONFIG(Add);
  static constexpr ::strata::input_requirements input_requirements{.min_rank = 1};
  template <class... Inputs>
  using inputs_must_fit = detail::merge_inputs_must_broadcast<Add, 2, 64, Inputs...>;
  template <expression... X>
    requires(sizeof...(X) >= 2)
  auto call(X... x) const {
    return detail::fold_inputs([](auto a, auto b) { return std::move(a) + std::move(b); }, std::move(x)...);
  }
};

/// Subtracts its second input from its first.
struct Subtract {
  STRATA_CONFIG(Subtract);
  static constexpr ::strata::input_requirements input_requirements{.min_rank = 1};
  template <class... Inputs>
  using inputs_must_fit = detail::merge_inputs_must_broadcast<Subtract, 2, 2, Inputs...>;
  template <expression A, expression B>
  auto call(A a, B b) const {
    return std::move(a) - std::move(b);
  }
};

/// Multiplies its inputs elementwise.
struct Multiply {
  STRATA_CONFIG(Multiply);
  static constexpr ::strata::input_requirements input_requirements{.min_rank = 1};
  template <class... Inputs>
  using inputs_must_fit = detail::merge_inputs_must_broadcast<Multiply, 2, 64, Inputs...>;
  template <expression... X>
    requires(sizeof...(X) >= 2)
  auto call(X... x) const {
    return detail::fold_inputs([](auto a, auto b) { return std::move(a) * std::move(b); }, std::move(x)...);
  }
};

/// The mean of its inputs.
struct Average {
  STRATA_CONFIG(Average);
  static constexpr ::strata::input_requirements input_requirements{.min_rank = 1};
  template <class... Inputs>
  using inputs_must_fit = detail::merge_inputs_must_broadcast<Average, 2, 64, Inputs...>;
  template <expression... X>
    requires(sizeof...(X) >= 2)
  auto call(X... x) const {
    using T = typename std::tuple_element_t<0, std::tuple<X...>>::scalar_type;
    return detail::fold_inputs([](auto a, auto b) { return std::move(a) + std::move(b); }, std::move(x)...) *
           (T(1) / T(sizeof...(X)));
  }
};

/// The elementwise maximum of its inputs (the gradient goes to the larger; to the first on a tie).
struct Maximum {
  STRATA_CONFIG(Maximum);
  static constexpr ::strata::input_requirements input_requirements{.min_rank = 1};
  template <class... Inputs>
  using inputs_must_fit = detail::merge_inputs_must_broadcast<Maximum, 2, 64, Inputs...>;
  template <expression... X>
    requires(sizeof...(X) >= 2)
  auto call(X... x) const {
    return detail::fold_inputs([](auto a, auto b) { return maximum(std::move(a), std::move(b)); }, std::move(x)...);
  }
};

/// The elementwise minimum of its inputs.
struct Minimum {
  STRATA_CONFIG(Minimum);
  static constexpr ::strata::input_requirements input_requirements{.min_rank = 1};
  template <class... Inputs>
  using inputs_must_fit = detail::merge_inputs_must_broadcast<Minimum, 2, 64, Inputs...>;
  template <expression... X>
    requires(sizeof...(X) >= 2)
  auto call(X... x) const {
    return detail::fold_inputs([](auto a, auto b) { return minimum(std::move(a), std::move(b)); }, std::move(x)...);
  }
};

/// Joins its inputs along `axis` (the last by default). The axis is part of the type, since the
/// output shape depends on it: `Concatenate<1>{}` joins along axis 1, and a config asking for
/// another axis is an error.
template <int Axis = -1>
struct Concatenate {
  STRATA_CONFIG(Concatenate, (int, axis, Axis));
  static constexpr ::strata::input_requirements input_requirements{.min_rank = 1};
  template <class... Inputs>
  using inputs_must_fit = detail::concatenate_inputs_must_agree<Axis, Inputs...>;

  template <expression... X>
    requires(sizeof...(X) >= 2)
  auto call(X... x) const {
    constexpr std::size_t rank = std::tuple_element_t<0, std::tuple<X...>>::shape_type::rank;
    if (normalize_axis(axis, rank) != normalize_axis(Axis, rank))
      throw std::invalid_argument(fmt::format("strata: Concatenate<{}> cannot have axis = {}; use Concatenate<{}>",
                                              Axis, axis, axis));
    return concatenate(strata::axis<Axis>, std::move(x)...);
  }
};

}  // namespace strata
