#pragma once
/// \file The extent type and the `dyn` sentinel for extents known only at run time.

#include <array>
#include <cstddef>

namespace strata {

/// Extents and indices are signed, as in Eigen (`Eigen::Index`).
using index = std::ptrdiff_t;

/// An extent known only at run time (printed `None`, as Keras does).
///
///     strata::shape<strata::dyn, 16>   // (None, 16): any batch size, 16 features
inline constexpr index dyn = -1;

/// Run-time extents of a rank-R tensor, outermost first (row-major).
template <std::size_t Rank>
using extents = std::array<index, Rank>;

/// The number of elements of the given extents (1 for rank 0).
template <std::size_t Rank>
constexpr index element_count(const extents<Rank>& dims) {
  index count = 1;
  for (index d : dims) count *= d;
  return count;
}

}  // namespace strata
