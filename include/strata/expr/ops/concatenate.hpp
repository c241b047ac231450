#pragma once
/// \file concatenate: several tensors joined along one axis (the last by default), as
/// `tf.concat`. Every other extent must agree.
///
///     auto joined = strata::concatenate(strata::axis<-1>, a, b);   // (n, 3) and (n, 5) → (n, 8)
///
/// Forward copies each operand's block into place; the derivative hands each operand its block
/// of the adjoint back.

#include <array>
#include <cstring>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "strata/expr/materialized.hpp"
#include "strata/expr/ops/reduce.hpp"

namespace strata {

/// Concatenation along `axis`: every rank equal, every extent but the axis's agreeing; the axis's
/// extent is the sum (`dyn` when any of them is).
template <std::size_t Rank, std::size_t Count>
constexpr rule_result<Rank> concatenate_rule(const std::array<extents<Rank>, Count>& operands, int axis) {
  rule_result<Rank> result;
  result.ok = normalize_axis(axis, Rank) >= 0;
  if (!result.ok || Count == 0) return result;
  const auto along = static_cast<std::size_t>(normalize_axis(axis, Rank));
  result.dims = operands[0];
  result.dims[along] = 0;
  for (const extents<Rank>& dims : operands) {
    for (std::size_t i = 0; i < Rank; ++i) {
      if (i == along) {
        result.dims[i] = result.dims[i] == dyn || dims[i] == dyn ? dyn : result.dims[i] + dims[i];
      } else {
        result.ok = result.ok && extents_agree(result.dims[i], dims[i]);
        result.dims[i] = known_extent(result.dims[i], dims[i]);
      }
    }
  }
  return result;
}

namespace detail {

template <class... Shapes>
constexpr std::size_t common_rank() {
  constexpr std::array<std::size_t, sizeof...(Shapes)> ranks{Shapes::rank...};
  for (std::size_t r : ranks)
    if (r != ranks[0]) return 0;
  return ranks[0];
}

template <int Axis, class... Shapes>
constexpr auto static_concatenate_rule() {
  constexpr std::size_t rank = common_rank<Shapes...>();
  if constexpr (rank == 0) {
    return rule_result<0>{false, {}};
  } else {
    return concatenate_rule<rank, sizeof...(Shapes)>({Shapes::dims...}, Axis);
  }
}

/// Names the operands' shapes and the axis (in g++'s "In instantiation of" line) when they do not fit.
template <int Axis, class... Shapes>
struct concatenate_shapes_must_fit {
  static constexpr bool value = static_concatenate_rule<Axis, Shapes...>().ok;
  static_assert(value,
                "strata: concatenate's operands (shapes named above, after the axis) must have one rank, the axis in "
                "range, and equal extents on every other axis");
};

}  // namespace detail

/// The operands `Args...` joined along `Axis`.
template <int Axis, class... Args>
class concatenate_node
    : public detail::materialized<typename std::tuple_element_t<0, std::tuple<Args...>>::scalar_type,
                                  shape_from<detail::static_concatenate_rule<Axis, typename Args::shape_type...>().dims>> {
  using T = typename std::tuple_element_t<0, std::tuple<Args...>>::scalar_type;
  using shape_type_ = shape_from<detail::static_concatenate_rule<Axis, typename Args::shape_type...>().dims>;
  using base = detail::materialized<T, shape_type_>;
  static constexpr std::size_t rank = shape_type_::rank;
  static constexpr std::size_t count = sizeof...(Args);
  static constexpr auto along = static_cast<std::size_t>(normalize_axis(Axis, rank));

 public:
  explicit concatenate_node(Args... args) : base(checked_dims(args...)), args_(std::move(args)...) {}

  void forward() const {
    T* out = this->value().data();
    for_each_arg([&](const auto& arg, std::size_t i) {
      arg.forward();
      const T* in = detail::materialize(arg, scratch_[i]);
      copy_blocks(arg.dims(), i, [&](index o, index block, index offset) {
        std::memcpy(out + o * out_block() + offset, in + o * block, std::size_t(block) * sizeof(T));
      });
    });
  }

  [[nodiscard]] bool depends_on(const gradient_sink<T>& sink) const {
    return std::apply([&](const auto&... arg) { return (arg.depends_on(sink) || ...); }, args_);
  }

  // d concat(a, b)/da = the adjoint's block where a was copied to
  template <class Adjoint>
  void backward(const Adjoint& adjoint, const gradient_sink<T>& sink) const {
    const T* g = detail::materialize_adjoint(adjoint, this->adjoint_);
    for_each_arg([&](const auto& arg, std::size_t i) {
      if (!arg.depends_on(sink)) return;
      const canvas_extents c = canvas_of(arg.dims());
      canvas_array<T>& part = gradients_[i];
      part.resize(c.rows, c.cols);
      copy_blocks(arg.dims(), i, [&](index o, index block, index offset) {
        std::memcpy(part.data() + o * block, g + o * out_block() + offset, std::size_t(block) * sizeof(T));
      });
      arg.backward(const_canvas_map<T>(part.data(), c.rows, c.cols), sink);
    });
  }

  void recycle(const concatenate_node& previous) const {
    this->recycle_buffers(previous);
    for (std::size_t i = 0; i < count; ++i) {
      scratch_[i].swap(previous.scratch_[i]);
      gradients_[i].swap(previous.gradients_[i]);
    }
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (detail::recycle(std::get<I>(args_), std::get<I>(previous.args_)), ...);
    }(std::make_index_sequence<count>{});
  }

 private:
  static extents<rank> checked_dims(const Args&... args) {
    const auto result = concatenate_rule<rank, count>({args.dims()...}, Axis);
    if (!result.ok) {
      std::string shapes;
      ((shapes += (shapes.empty() ? "" : ", ") + format_dims(args.dims())), ...);
      throw shape_error(fmt::format("strata: concatenate along axis {}: every extent but the axis's must agree; "
                                    "found shapes {}",
                                    Axis, shapes));
    }
    return result.dims;
  }

  template <class Visit>
  void for_each_arg(Visit&& visit) const {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (visit(std::get<I>(args_), I), ...);
    }(std::make_index_sequence<count>{});
  }

  /// The values after the axis, and the number of runs before it.
  [[nodiscard]] index inner() const {
    index n = 1;
    for (std::size_t i = along + 1; i < rank; ++i) n *= this->dims_[i];
    return n;
  }
  [[nodiscard]] index outer() const {
    index n = 1;
    for (std::size_t i = 0; i < along; ++i) n *= this->dims_[i];
    return n;
  }
  [[nodiscard]] index out_block() const { return this->dims_[along] * inner(); }

  /// Calls `copy(o, block, offset)` for each of operand `i`'s runs: run o holds `block` values,
  /// which sit at `offset` within the output's run o.
  template <class Copy>
  void copy_blocks(const extents<rank>& dims, std::size_t i, Copy&& copy) const {
    index offset = 0;
    for_each_arg([&](const auto& arg, std::size_t j) {
      if (j < i) offset += arg.dims()[along] * inner();
    });
    const index block = dims[along] * inner(), runs = outer();
    if (block == 0) return;
    for (index o = 0; o < runs; ++o) copy(o, block, offset);
  }

  std::tuple<Args...> args_;
  mutable std::array<canvas_array<T>, count> scratch_;
  mutable std::array<canvas_array<T>, count> gradients_;
};

/// `xs` joined along `Axis` (tensors or expressions of one scalar type).
template <int Axis, node_operand X, node_operand... Rest>
auto concatenate(axis_t<Axis>, X&& x, Rest&&... rest) {
  using T = scalar_of<X>;
  constexpr bool fits = detail::concatenate_shapes_must_fit<Axis, typename node_of<T, X>::shape_type,
                                                            typename node_of<T, Rest>::shape_type...>::value;
  if constexpr (fits) {
    return concatenate_node<Axis, node_of<T, X>, node_of<T, Rest>...>(as_node<T>(std::forward<X>(x)),
                                                                      as_node<T>(std::forward<Rest>(rest))...);
  } else {
    return as_node<T>(std::forward<X>(x));  // not reached: only the message above is printed
  }
}

}  // namespace strata
