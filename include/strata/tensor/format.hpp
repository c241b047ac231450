#pragma once
/// \file fmt formatting of tensors, summarised as numpy does: past 1000 elements each axis shows
/// its first and last 3 entries around `...`.
///
///     fmt::print("{}\n", strata::tensor<float, strata::shape<2, 2>>{{1, 2}, {3, 4}});   // [[1, 2], [3, 4]]

#include <string>

#include <fmt/format.h>

#include "strata/tensor/tensor.hpp"

namespace strata::detail {

inline constexpr index summary_threshold = 1000;  // numpy's printoptions threshold
inline constexpr index summary_edge_items = 3;    // numpy's printoptions edgeitems

template <class T, std::size_t Rank>
void format_axis(std::string& out, const T* data, const extents<Rank>& dims, std::size_t axis, bool summarise) {
  if constexpr (Rank == 0) {
    out += fmt::format("{}", *data);
  } else {
    index stride = 1;
    for (std::size_t i = axis + 1; i < Rank; ++i) stride *= dims[i];
    const index count = dims[axis];
    const bool elide = summarise && count > 2 * summary_edge_items;
    const std::string separator = axis + 1 == Rank ? ", " : ",\n" + std::string(axis + 1, ' ');
    out += '[';
    for (index i = 0; i < count; ++i) {
      if (elide && i == summary_edge_items) {
        out += "..." + separator;
        i = count - summary_edge_items;
      }
      if (axis + 1 == Rank) {
        out += fmt::format("{}", data[i]);
      } else {
        format_axis(out, data + i * stride, dims, axis + 1, summarise);
      }
      if (i + 1 < count) out += separator;
    }
    out += ']';
  }
}

}  // namespace strata::detail

template <strata::scalar T, strata::shape_type Shape>
struct fmt::formatter<strata::tensor<T, Shape>> : fmt::formatter<std::string> {
  auto format(const strata::tensor<T, Shape>& t, fmt::format_context& context) const {
    std::string text;
    strata::detail::format_axis(text, t.data(), t.dims(), 0, t.size() > strata::detail::summary_threshold);
    return fmt::formatter<std::string>::format(text, context);
  }
};
