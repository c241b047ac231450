#pragma once
/// \file Flatten and Reshape: the same elements under new extents, the batch axis kept.
///
///     strata::Flatten{}                  // (None, 28, 28) → (None, 784)
///     strata::Reshape<7, 112>{}          // (None, 784) → (None, 7, 112)

#include <array>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "strata/expr/ops/reshape.hpp"
#include "strata/layers/layer.hpp"

namespace strata {

namespace detail {

template <shape_type In, shape_type Target>
struct reshape_layer_must_keep_element_count {
  static constexpr bool value = [] {
    index in = 1, out = 1;
    for (std::size_t i = 1; i < In::rank; ++i) {
      if (In::dims[i] == dyn) return true;  // checked at run time
      in *= In::dims[i];
    }
    for (index d : Target::dims) {
      if (d == dyn) return out == 0 || in % out == 0;  // the dyn extent is inferred
      out *= d;
    }
    return in == out;
  }();
  static_assert(value,
                "strata: Reshape's target_shape (second shape above, after the batch axis) must hold as many "
                "elements as its input (first shape above, after the batch axis)");
};

/// Reshape's full target: the input's batch extent, then `Target`, whose one `dyn` extent is
/// inferred at compile time when the input's other extents are static.
template <shape_type In, shape_type Target>
constexpr auto reshape_layer_target() {
  std::array<index, Target::rank + 1> dims{};
  dims[0] = In::dims[0];
  index known = 1, in = 1;
  bool in_static = true;
  for (std::size_t i = 1; i < In::rank; ++i) {
    in_static = in_static && In::dims[i] != dyn;
    in *= In::dims[i];
  }
  for (std::size_t i = 0; i < Target::rank; ++i) {
    dims[i + 1] = Target::dims[i];
    if (Target::dims[i] != dyn) known *= Target::dims[i];
  }
  for (std::size_t i = 1; i < dims.size(); ++i)
    if (dims[i] == dyn && in_static && known > 0) dims[i] = in / known;
  return dims;
}

/// The extent Flatten gives the features: static when every extent after the batch axis is.
template <shape_type In>
constexpr index flattened_features() {
  index count = 1;
  for (std::size_t i = 1; i < In::rank; ++i) {
    if (In::dims[i] == dyn) return dyn;
    count *= In::dims[i];
  }
  return count;
}

}  // namespace detail

struct Flatten {
  STRATA_CONFIG(Flatten, (std::string, data_format, "channels_last"));

  template <class X>
  auto call(X x) const {
    using in = typename X::shape_type;
    if (data_format != "channels_last")
      throw std::invalid_argument(fmt::format(
          "strata: Flatten supports data_format \"channels_last\" only, found \"{}\"", data_format));
    // The extents after the batch axis may be dyn (a model loaded at run time), so the target's
    // are taken from the input as it arrives.
    const extents<in::rank> input_dims = x.dims();
    index features = 1;
    for (std::size_t i = 1; i < in::rank; ++i) features *= input_dims[i];
    using target = shape<in::dims[0], detail::flattened_features<in>()>;
    return reshape_node<target, X>(std::move(x), {input_dims[0], features});
  }
};

/// The batch axis is kept; `Dims` (one may be `dyn`, Keras' -1) are the extents after it.
template <index... Dims>
struct Reshape {
  using target_shape_type = std::array<index, sizeof...(Dims)>;
  STRATA_CONFIG(Reshape, (target_shape_type, target_shape, {Dims...}));

  template <class X>
  auto call(X x) const {
    using in = typename X::shape_type;
    static_assert(detail::reshape_layer_must_keep_element_count<in, shape<Dims...>>::value);
    if (target_shape != target_shape_type{Dims...})
      throw std::invalid_argument(fmt::format("strata: Reshape's target_shape is {} by its type, not {}",
                                              format_dims(target_shape_type{Dims...}), format_dims(target_shape)));
    using target = shape_from<detail::reshape_layer_target<in, shape<Dims...>>()>;
    // The batch extent is known at run time, so only the target's own dyn extent is inferred.
    extents<target::rank> dims = target::dims;
    dims[0] = x.dims()[0];
    return reshape_node<target, X>(std::move(x), dims);
  }
};

}  // namespace strata
