#pragma once
/// \file Residual blocks: `x + f(x)` where f is a chain of layers, itself a layer.
///
///     strata::Sequential model(strata::Input<strata::dyn, 16>{},
///                              strata::residual(strata::Dense<16>{.activation = "relu"}, strata::Dense<16>{}));
///
/// The chain is one expression (no buffer between its layers); f's output must have x's shape,
/// else a compile error names both shapes (a dyn extent is checked at run time).

#include <tuple>

#include <fmt/format.h>
#include <utility>

#include "strata/expr/ops/elementwise_binary.hpp"
#include "strata/layers/layer.hpp"

namespace strata {

namespace detail {

/// x + f(x) adds two tensors of one shape: no broadcasting, which would silently change it.
template <shape_type In, shape_type Out>
struct residual_shapes_must_match {
  static constexpr bool value = shapes_agree<In, Out>();
  static_assert(value,
                "strata: a residual block's layers must keep its input's shape (first shape above); they give the "
                "second");
};

}  // namespace detail

template <class... Layers>
struct Residual {
  STRATA_CONFIG(Residual, (std::tuple<Layers...>, layers, {}));
  static_assert(sizeof...(Layers) > 0, "strata: a residual block needs at least one layer");

  /// One tuple per inner layer, each the weights its `build` gave, on the previous one's output.
  template <class Builder>
  auto build(Builder& b) const {
    return std::make_tuple(build_from<0>(b));  // one argument for call: every inner layer's weights
  }

  template <class X>
  auto call(X x, const auto& inner_weights, const call_context& context) const {
    auto y = call_from<0>(x, inner_weights, context);
    using check = detail::residual_shapes_must_match<typename X::shape_type, typename decltype(y)::shape_type>;
    static_assert(check::value);
    if constexpr (check::value) {
      if (x.dims() != y.dims())
        throw shape_error(fmt::format("strata: a residual block's layers must keep its input's shape {}; they give {}",
                                      format_dims(x.dims()), format_dims(y.dims())));
      return std::move(x) + std::move(y);
    } else {
      return x;  // not reached: only the message above is printed
    }
  }

 private:
  template <std::size_t I, class Builder>
  auto build_from(const Builder& b) const {
    const auto& inner = std::get<I>(layers);
    auto specs = b.build(inner);
    if constexpr (I + 1 < sizeof...(Layers)) {
      return std::tuple_cat(std::make_tuple(specs), build_from<I + 1>(b.next(inner, specs)));
    } else {
      return std::make_tuple(std::move(specs));
    }
  }

  template <std::size_t I, class X, class Weights>
  auto call_from(X x, const Weights& inner_weights, const call_context& context) const {
    auto y = call_layer(std::get<I>(layers), std::move(x), std::get<I>(inner_weights), context);
    if constexpr (I + 1 < sizeof...(Layers)) {
      return call_from<I + 1>(std::move(y), inner_weights, context);
    } else {
      return y;
    }
  }
};

/// A residual block `x + layers(x)`.
template <class... Layers>
Residual<Layers...> residual(Layers... layers) {
  return Residual<Layers...>{.layers = std::tuple<Layers...>(std::move(layers)...)};
}

}  // namespace strata
