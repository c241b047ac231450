#pragma once
/// \file Shapes: static extents with `dyn` for run-time ones, and the shape rules of every op.
///
/// A shape rule is one `constexpr` function used twice: at compile time on the static dims (where a
/// `dyn` dim passes) and at run time on the real extents (where it throws `shape_error`).
///
///     using features = strata::shape<strata::dyn, 16>;   // (None, 16)
///     static_assert(features::rank == 2 && features::last == 16);

#include <algorithm>
#include <array>
#include <span>
#include <string>
#include <type_traits>
#include <utility>

#include <fmt/format.h>

#include "strata/core/dims.hpp"
#include "strata/core/error.hpp"

namespace strata {

/// A tensor shape: extents outermost first, each a number or `dyn`.
template <index... Dims>
struct shape {
  static_assert(((Dims == dyn || Dims >= 0) && ...), "strata: an extent is a number >= 0 or dyn");

  static constexpr std::size_t rank = sizeof...(Dims);
  static constexpr extents<rank> dims{Dims...};
  /// True when no extent is `dyn`.
  static constexpr bool is_static = ((Dims != dyn) && ...);
  /// The last extent (the features of a Keras layer's input); 1 for rank 0.
  static constexpr index last = rank == 0 ? 1 : dims[rank == 0 ? 0 : rank - 1];
  /// The number of elements, or `dyn` when some extent is.
  static constexpr index size = is_static ? element_count(dims) : dyn;

  /// The extent along `axis`; negative axes count from the end, as in numpy.
  static constexpr index dim(int axis) { return dims[static_cast<std::size_t>(axis < 0 ? axis + int(rank) : axis)]; }

  /// Shapes are equal when every extent is, `dyn` matching only `dyn`.
  template <index... Other>
  friend constexpr bool operator==(shape, shape<Other...>) {
    return std::is_same_v<shape, shape<Other...>>;
  }
};

namespace detail {

template <class T>
struct is_shape : std::false_type {};
template <index... Dims>
struct is_shape<shape<Dims...>> : std::true_type {};

template <auto Dims, class Sequence = std::make_index_sequence<Dims.size()>>
struct shape_from_dims;
template <auto Dims, std::size_t... I>
struct shape_from_dims<Dims, std::index_sequence<I...>> {
  using type = shape<Dims[I]...>;
};

}  // namespace detail

/// Satisfied by `strata::shape<...>`.
template <class S>
concept shape_type = detail::is_shape<S>::value;

/// The shape whose dims are the elements of a constexpr `std::array` (how rules return shapes).
template <auto Dims>
using shape_from = typename detail::shape_from_dims<Dims>::type;

/// Formats dims in Keras' style: `(None, 16)`, `(16,)`, `()`.
template <std::size_t Rank>
std::string format_dims(const extents<Rank>& dims) {
  std::string text = "(";
  for (std::size_t i = 0; i < Rank; ++i) {
    if (i > 0) text += ", ";
    text += dims[i] == dyn ? std::string("None") : fmt::format("{}", dims[i]);
  }
  return text + (Rank == 1 ? ",)" : ")");
}

/// The same for extents known only at run time (a run-time model's).
inline std::string format_dims(std::span<const index> dims) {
  std::string text = "(";
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (i > 0) text += ", ";
    text += dims[i] == dyn ? std::string("None") : fmt::format("{}", dims[i]);
  }
  return text + (dims.size() == 1 ? ",)" : ")");
}

/// The result of a shape rule: whether it holds and the dims it gives.
template <std::size_t Rank>
struct rule_result {
  bool ok = true;
  extents<Rank> dims{};
};

/// Normalises a numpy-style axis (negative counts from the end); -1 when out of range.
constexpr int normalize_axis(int axis, std::size_t rank) {
  const int r = static_cast<int>(rank);
  const int normalized = axis < 0 ? axis + r : axis;
  return normalized >= 0 && normalized < r ? normalized : -1;
}

/// Two extents that must be equal: a `dyn` one is unknown (compile time) and passes.
constexpr bool extents_agree(index a, index b) { return a == b || a == dyn || b == dyn; }
constexpr index known_extent(index a, index b) { return a == dyn ? b : a; }

/// Whether two shapes can be the same shape: equal ranks and every extent agreeing.
template <shape_type A, shape_type B>
constexpr bool shapes_agree() {
  if constexpr (A::rank != B::rank) {
    return false;
  } else {
    for (std::size_t i = 0; i < A::rank; ++i)
      if (!extents_agree(A::dims[i], B::dims[i])) return false;
    return true;
  }
}

/// Numpy broadcasting of two shapes, right-aligned. Only a static 1 broadcasts; a `dyn` extent
/// must equal the other one at run time. Called with the static dims twice at compile time, and
/// with the static dims and the real extents at run time.
template <std::size_t RankA, std::size_t RankB>
constexpr rule_result<std::max(RankA, RankB)> broadcast_rule(const extents<RankA>& static_a, const extents<RankB>& static_b,
                                                             const extents<RankA>& a, const extents<RankB>& b) {
  constexpr std::size_t rank = std::max(RankA, RankB);
  rule_result<rank> result;
  for (std::size_t i = 0; i < rank; ++i) {
    const bool in_a = i + RankA >= rank, in_b = i + RankB >= rank;
    const index sa = in_a ? static_a[i + RankA - rank] : 1, sb = in_b ? static_b[i + RankB - rank] : 1;
    const index ra = in_a ? a[i + RankA - rank] : 1, rb = in_b ? b[i + RankB - rank] : 1;
    if (sa == 1) {
      result.dims[i] = rb;
    } else if (sb == 1) {
      result.dims[i] = ra;
    } else {
      result.ok = result.ok && extents_agree(ra, rb);
      result.dims[i] = known_extent(ra, rb);
    }
  }
  return result;
}

/// Matrix product: (n, k)·(k, m) → (n, m); (..., n, k)·(k, m) → (..., n, m);
/// (b, n, k)·(b, k, m) → (b, n, m). The inner extents and the batch extents must agree.
template <std::size_t RankA, std::size_t RankB>
constexpr rule_result<RankA> matmul_rule(const extents<RankA>& a, const extents<RankB>& b) {
  rule_result<RankA> result;
  if constexpr (RankA < 2 || RankB < 2 || (RankB != 2 && RankB != RankA)) {
    result.ok = false;
  } else {
    for (std::size_t i = 0; i + 2 < RankA; ++i) {
      result.dims[i] = a[i];
      if constexpr (RankB == RankA) {
        result.ok = result.ok && extents_agree(a[i], b[i]);
        result.dims[i] = known_extent(a[i], b[i]);
      }
    }
    result.ok = result.ok && extents_agree(a[RankA - 1], b[RankB - 2]);
    result.dims[RankA - 2] = a[RankA - 2];
    result.dims[RankA - 1] = b[RankB - 1];
  }
  return result;
}

/// Reduction along one (normalised, in-range) axis, keeping it as 1 or dropping it.
template <bool KeepDims, std::size_t Rank>
constexpr auto reduce_rule(const extents<Rank>& dims, int axis) {
  constexpr std::size_t out_rank = KeepDims ? Rank : Rank - 1;
  rule_result<out_rank> result;
  std::size_t out = 0;
  for (std::size_t i = 0; i < Rank; ++i) {
    if (static_cast<int>(i) != axis) {
      result.dims[out++] = dims[i];
    } else if constexpr (KeepDims) {
      result.dims[out++] = 1;
    }
  }
  return result;
}

/// Swap of the last two axes.
template <std::size_t Rank>
constexpr rule_result<Rank> transpose_rule(const extents<Rank>& dims) {
  rule_result<Rank> result{true, dims};
  if constexpr (Rank >= 2) std::swap(result.dims[Rank - 2], result.dims[Rank - 1]);
  return result;
}

/// Reshape keeps the element count; at most one target extent may be `dyn`, and it is inferred.
/// A static count mismatch fails at compile time; a count that involves `dyn` is checked at run time.
template <std::size_t RankIn, std::size_t RankOut>
constexpr rule_result<RankOut> reshape_rule(const extents<RankIn>& in, const extents<RankOut>& target) {
  rule_result<RankOut> result{true, target};
  index known_out = 1;
  int unknown_out = 0;
  for (index d : target) d == dyn ? ++unknown_out : known_out *= d;
  bool in_known = true;
  index count_in = 1;
  for (index d : in) d == dyn ? in_known = false : count_in *= d;
  if (unknown_out > 1) {
    result.ok = false;
  } else if (in_known && unknown_out == 0) {
    result.ok = count_in == known_out;
  } else if (in_known && unknown_out == 1) {
    result.ok = known_out != 0 && count_in % known_out == 0;
    for (index& d : result.dims) d = d == dyn && result.ok ? count_in / known_out : d;
  }
  return result;
}

/// Throws `shape_error` with `what` and both shapes unless `ok`.
template <std::size_t RankA, std::size_t RankB>
void check_shapes(bool ok, const char* what, const extents<RankA>& a, const extents<RankB>& b) {
  if (!ok) throw shape_error(fmt::format("strata: {}: shapes {} and {} do not fit", what, format_dims(a), format_dims(b)));
}

namespace detail {

/// Compile-time checks. Each is a class template so that g++ prints the two shapes (its template
/// arguments) in the "In instantiation of" line right above the static_assert's message.
template <class A, class B>
struct elementwise_shapes_must_broadcast {
  static constexpr bool value = broadcast_rule(A::dims, B::dims, A::dims, B::dims).ok;
  static_assert(value,
                "strata: elementwise operands have incompatible shapes (named above): extents must be equal, "
                "or one of them a static 1, counting from the last axis");
};

template <class A, class B>
struct matmul_shapes_must_fit {
  static constexpr bool value = matmul_rule(A::dims, B::dims).ok;
  static_assert(value,
                "strata: matmul operands (named above) do not fit: the inner extents must be equal, and both "
                "operands of rank >= 2 with equal batch extents or a rank-2 right operand");
};

template <int Axis, std::size_t Rank>
struct reduction_axis_must_be_in_range {
  static constexpr bool value = normalize_axis(Axis, Rank) >= 0;
  static_assert(value, "strata: reduction axis (first argument above) is out of range for a tensor of this rank "
                       "(second argument above): valid axes are -rank .. rank-1");
};

template <class In, class Target>
struct reshape_must_keep_element_count {
  static constexpr bool value = reshape_rule(In::dims, Target::dims).ok;
  static_assert(value, "strata: reshape (shapes named above) must keep the element count, with at most one dyn "
                       "extent in the target");
};

template <class S>
struct transpose_needs_rank_2 {
  static constexpr bool value = S::rank >= 2;
  static_assert(value, "strata: transpose swaps the last two axes and needs a rank >= 2 shape (named above)");
};

}  // namespace detail

/// The shape of broadcasting A with B (numpy rules; a static 1 broadcasts, `dyn` must match).
template <class A, class B>
  requires detail::elementwise_shapes_must_broadcast<A, B>::value
using broadcast_shape = shape_from<broadcast_rule(A::dims, B::dims, A::dims, B::dims).dims>;

/// The shape of `matmul(A, B)`.
template <class A, class B>
  requires detail::matmul_shapes_must_fit<A, B>::value
using matmul_shape = shape_from<matmul_rule(A::dims, B::dims).dims>;

/// The shape of reducing S along Axis, with or without keepdims.
template <class S, int Axis, bool KeepDims>
  requires detail::reduction_axis_must_be_in_range<Axis, S::rank>::value
using reduce_shape = shape_from<reduce_rule<KeepDims>(S::dims, normalize_axis(Axis, S::rank)).dims>;

}  // namespace strata

/// `fmt::format("{}", strata::shape<strata::dyn, 16>{})` gives `(None, 16)`.
template <strata::index... Dims>
struct fmt::formatter<strata::shape<Dims...>> : fmt::formatter<std::string> {
  auto format(strata::shape<Dims...>, fmt::format_context& context) const {
    return fmt::formatter<std::string>::format(strata::format_dims(strata::shape<Dims...>::dims), context);
  }
};
