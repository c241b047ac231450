#pragma once
/// \file fmt formatting of tensors, laid out as numpy's `array2string(t, separator=", ")` (one
/// line per innermost row, a blank line between blocks of rank >= 2; no line wrapping, no padding)
/// and summarised as numpy does: past 1000 elements each axis shows its first and last 3 entries
/// around `...`.
///
///     fmt::print("{}\n", strata::tensor<float, strata::shape<2, 2>>{{1, 2}, {3, 4}});
///     // [[1, 2],
///     //  [3, 4]]

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
    // numpy: ", " within a row; else "," then one newline per axis left below this one, then the
    // indent of the next '['. (Appended, not `"," + std::string(...)`: g++ 12 -O3 warns on that.)
    std::string separator = ",";
    if (axis + 1 == Rank) {
      separator += ' ';
    } else {
      separator.append(Rank - axis - 1, '\n');
      separator.append(axis + 1, ' ');
    }
    out += '[';
    for (index i = 0; i < count; ++i) {
      if (elide && i == summary_edge_items) {
        out += "...";
        out += separator;
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

template <strata::element T, strata::shape_type Shape>
struct fmt::formatter<strata::tensor<T, Shape>> : fmt::formatter<std::string> {
  auto format(const strata::tensor<T, Shape>& t, fmt::format_context& context) const {
    std::string text;
    strata::detail::format_axis(text, t.data(), t.dims(), 0, t.size() > strata::detail::summary_threshold);
    return fmt::formatter<std::string>::format(text, context);
  }
};
