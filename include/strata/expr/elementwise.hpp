#pragma once
/// \file The elementwise node: one op applied to one, two or three broadcast operands.
///
/// An op is a small struct with its forward and its derivative side by side, both written on
/// Eigen array expressions so that a chain of ops fuses into one loop, forward and backward:
///
///     struct exp_op {
///       static constexpr const char* name = "exp";
///       auto forward(const auto& x) const { return x.exp(); }
///       template <std::size_t I> auto backward(const auto& g, const auto& x) const { return g * x.exp(); }
///     };
///
/// `backward<I>` returns the adjoint of operand I given the output's adjoint `g` (on the output's
/// canvas); broadcasting operands get it summed back over their broadcast axes. An op whose
/// derivative is best written with its own output y (exp, tanh, sigmoid) says
/// `static constexpr bool uses_output = true;` and takes `backward<I>(g, y, operands...)`: y is then
/// read from the window cache when there is one, and recomputed lazily otherwise.

#include <array>
#include <tuple>
#include <utility>

#include "strata/expr/broadcast.hpp"
#include "strata/expr/node.hpp"

namespace strata {

/// What `backward<I>` returns for an operand that takes no gradient (a condition, a comparison).
struct no_gradient {};

namespace detail {

template <class... Shapes>
struct broadcast_all;
template <class S>
struct broadcast_all<S> {
  using type = S;
};
template <class A, class B, class... Rest>
struct broadcast_all<A, B, Rest...> {
  using type = typename broadcast_all<broadcast_shape<A, B>, Rest...>::type;
};

/// The run-time extents of broadcasting every operand, throwing `shape_error` naming the op and
/// the two shapes that do not fit.
template <class StaticSoFar, std::size_t Rank, class Node, class... Rest>
auto broadcast_dims(const char* op, const extents<Rank>& so_far, const Node& node, const Rest&... rest) {
  using operand_shape = typename Node::shape_type;
  const auto result = broadcast_rule(StaticSoFar::dims, operand_shape::dims, so_far, node.dims());
  check_shapes(result.ok, op, so_far, node.dims());
  if constexpr (sizeof...(Rest) == 0) {
    return result.dims;
  } else {
    return broadcast_dims<broadcast_shape<StaticSoFar, operand_shape>>(op, result.dims, rest...);
  }
}

}  // namespace detail

template <class Op>
concept op_uses_output = requires { requires Op::uses_output; };

/// `Op` applied elementwise to the broadcast operands `Args` (nodes).
template <class Op, class... Args>
class elementwise : public expression_tag {
  using first = std::tuple_element_t<0, std::tuple<Args...>>;

 public:
  using scalar_type = typename first::scalar_type;
  using shape_type = typename detail::broadcast_all<typename Args::shape_type...>::type;
  static constexpr std::size_t arity = sizeof...(Args);
  static_assert((std::same_as<typename Args::scalar_type, scalar_type> && ...),
                "strata: elementwise operands must have the same scalar type");

  explicit elementwise(Op op, Args... args)
      : op_(std::move(op)), args_(std::move(args)...), dims_(compute_dims(op_.name, std::get<0>(args_), args_)) {}

  [[nodiscard]] const extents<shape_type::rank>& dims() const { return dims_; }
  [[nodiscard]] const Op& op() const { return op_; }
  [[nodiscard]] const auto& operands() const { return args_; }

  void forward() const {
    each([&]<std::size_t I>(const auto& arg) {
      arg.forward();
      detail::prepare_broadcast<shape_type>(arg, dims_, scratch_[I]);
    });
  }

  [[nodiscard]] auto lower() const {
    return lowered([&](const auto&... operands) { return op_.forward(operands...); });
  }

  [[nodiscard]] bool depends_on(const gradient_sink<scalar_type>& sink) const {
    return std::apply([&](const auto&... arg) { return (arg.depends_on(sink) || ...); }, args_);
  }

  template <class Adjoint>
  void backward(const Adjoint& adjoint, const gradient_sink<scalar_type>& sink) const {
    each([&]<std::size_t I>(const auto& arg) {
      if (!arg.depends_on(sink)) return;
      lowered([&](const auto&... operands) {
        auto operand_adjoint = adjoint_of<I>(adjoint, op_.forward(operands...), operands...);
        if constexpr (!std::same_as<decltype(operand_adjoint), no_gradient>) {
          detail::send_adjoint<shape_type>(arg, operand_adjoint, dims_, scratch_[I], sink);
        }
        return 0;
      });
    });
  }

  // ---- Windows of canvas columns (see node.hpp): values cached per window, nothing recomputed ----

  static constexpr bool windowed = true;

  // Only ops whose derivative reads their output (exp, tanh, sigmoid) keep the window's values;
  // cheap ones are recomputed, fused into whatever reads them.
  static constexpr bool caches_window = op_uses_output<Op>;

  void forward_window(index first, index count) const {
    each([&]<std::size_t>(const auto& arg) { detail::forward_broadcast_window<shape_type>(arg, first, count); });
    if constexpr (caches_window) {
      // Sized by the first (widest) window, so later ones never allocate.
      const index rows = canvas_of(dims_).rows;
      if (window_.rows() != rows || window_.cols() < count) window_.resize(rows, count);
      window_.leftCols(count) = lowered_window(first, count, [&](const auto&... operands) { return op_.forward(operands...); });
    }
  }

  [[nodiscard]] auto lower_window(index first, index count) const {
    if constexpr (caches_window) {
      return const_canvas_map<scalar_type>(window_.data(), window_.rows(), count);
    } else {
      return lowered_window(first, count, [&](const auto&... operands) { return op_.forward(operands...); });
    }
  }

  template <class Adjoint>
  void backward_window(const Adjoint& adjoint, index first, index count, const gradient_sink<scalar_type>& sink) const {
    if (first == 0) sent_.fill(false);
    each([&]<std::size_t I>(const auto& arg) {
      if (!arg.depends_on(sink)) return;
      lowered_window(first, count, [&](const auto&... operands) {
        auto operand_adjoint = adjoint_of<I>(adjoint, lower_window(first, count), operands...);
        if constexpr (!std::same_as<decltype(operand_adjoint), no_gradient>) {
          detail::send_adjoint_window<shape_type>(arg, operand_adjoint, dims_, first, count, scratch_[I], sink);
          sent_[I] = true;
        }
        return 0;
      });
    });
  }

  void backward_finish(const gradient_sink<scalar_type>& sink) const {
    each([&]<std::size_t I>(const auto& arg) {
      if (sent_[I]) detail::finish_adjoint<shape_type>(arg, dims_, scratch_[I], sink);
    });
  }

  void recycle(const elementwise& previous) const {
    for (std::size_t i = 0; i < arity; ++i) {
      auto& mine = scratch_[i];
      auto& theirs = previous.scratch_[i];
      detail::swap_buffers(std::tie(mine.value, mine.gradient, mine.adjoint, mine.source),
                           std::tie(theirs.value, theirs.gradient, theirs.adjoint, theirs.source));
    }
    window_.swap(previous.window_);
    each([&]<std::size_t I>(const auto& arg) { detail::recycle(arg, std::get<I>(previous.args_)); });
  }

 private:
  // The adjoint of operand I, passing the output y to ops that use it.
  template <std::size_t I, class Adjoint, class Output, class... Operands>
  auto adjoint_of(const Adjoint& adjoint, const Output& output, const Operands&... operands) const {
    if constexpr (op_uses_output<Op>) {
      return op_.template backward<I>(adjoint, output, operands...);
    } else {
      return op_.template backward<I>(adjoint, operands...);
    }
  }

  template <class Use>
  auto lowered_window(index first, index count, Use&& use) const {
    const canvas_extents out = canvas_of(dims_);
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return use(detail::lower_broadcast_window<shape_type>(std::get<I>(args_), out, first, count, scratch_[I])...);
    }(std::index_sequence_for<Args...>{});
  }

  template <class Visit>
  void each(Visit&& visit) const {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (visit.template operator()<I>(std::get<I>(args_)), ...);
    }(std::index_sequence_for<Args...>{});
  }

  template <class Use>
  auto lowered(Use&& use) const {
    const canvas_extents out = canvas_of(dims_);
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return use(detail::lower_broadcast<shape_type>(std::get<I>(args_), out, scratch_[I])...);
    }(std::index_sequence_for<Args...>{});
  }

  static auto compute_dims(const char* op, const first& head, const std::tuple<Args...>& all) {
    return std::apply(
        [&](const first&, const auto&... rest) {
          if constexpr (sizeof...(rest) == 0) {
            return head.dims();
          } else {
            return detail::broadcast_dims<typename first::shape_type>(op, head.dims(), rest...);
          }
        },
        all);
  }

  Op op_;
  std::tuple<Args...> args_;
  extents<shape_type::rank> dims_;
  mutable std::array<detail::operand_scratch<scalar_type>, arity> scratch_;
  mutable canvas_array<scalar_type> window_;  // this node's values on the current window
  mutable std::array<bool, arity> sent_{};    // which operands took window adjoints to finish
};

namespace detail {

/// The scalar type of the first node operand among `Xs`.
template <class... Xs>
struct first_scalar;
template <class X, class... Rest>
  requires node_operand<X>
struct first_scalar<X, Rest...> {
  using type = scalar_of<X>;
};
template <class X, class... Rest>
struct first_scalar<X, Rest...> : first_scalar<Rest...> {};

}  // namespace detail

/// Builds `elementwise<Op, ...>` from operands (tensors, expressions, numbers).
template <class Op, class... Xs>
  requires(operand<Xs> && ...) && (node_operand<Xs> || ...)
auto make_elementwise(Op op, Xs&&... xs) {
  using T = typename detail::first_scalar<Xs...>::type;
  if constexpr (sizeof...(Xs) == 2) {  // checked here, so the error names the two shapes near the top
    static_assert(detail::elementwise_shapes_must_broadcast<typename node_of<T, Xs>::shape_type...>::value);
  }
  return elementwise<Op, node_of<T, Xs>...>(std::move(op), as_node<T>(std::forward<Xs>(xs))...);
}

}  // namespace strata
