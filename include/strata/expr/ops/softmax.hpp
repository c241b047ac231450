#pragma once
/// \file softmax and log_softmax along one axis (the last by default), numerically stable.
///
///     auto p = strata::softmax(scores);                    // along the last axis
///     auto lp = strata::log_softmax(logits, strata::axis<1>);

#include <utility>

#include "strata/expr/materialized.hpp"
#include "strata/expr/ops/reduce.hpp"

namespace strata {
namespace detail {

/// The 1-D runs along an axis: element m of lane (o, q) sits at (o·mid + m)·inner + q.
struct lane_layout {
  index outer = 1, mid = 1, inner = 1;

  template <std::size_t Rank>
  static lane_layout of(const extents<Rank>& dims, int axis) {
    lane_layout layout;
    for (int i = 0; i < int(Rank); ++i) {
      const index d = dims[std::size_t(i)];
      if (i < axis) layout.outer *= d;
      if (i == axis) layout.mid = d;
      if (i > axis) layout.inner *= d;
    }
    return layout;
  }

  /// Calls `visit(lane(pointers)...)` for every lane: contiguous Eigen maps along the last axis,
  /// strided ones otherwise.
  template <class Pointer, class Element = std::remove_pointer_t<Pointer>>
  using lane_array = std::conditional_t<std::is_const_v<Element>, const Eigen::Array<std::remove_const_t<Element>, Eigen::Dynamic, 1>,
                                        Eigen::Array<Element, Eigen::Dynamic, 1>>;

  template <class Visit, class... Pointers>
  void each(Visit&& visit, Pointers... pointers) const {
    if (mid == 0) return;
    if (inner == 1) {
      for (index o = 0; o < outer; ++o)
        visit(Eigen::Map<lane_array<Pointers>>(pointers + o * mid, mid)...);
    } else {
      using stride = Eigen::InnerStride<Eigen::Dynamic>;
      for (index o = 0; o < outer; ++o)
        for (index q = 0; q < inner; ++q)
          visit(Eigen::Map<lane_array<Pointers>, 0, stride>(pointers + o * mid * inner + q, mid, stride(inner))...);
    }
  }
};

}  // namespace detail

namespace ops {

struct softmax_kind {
  static constexpr const char* name = "softmax";
  static void forward(auto&& lane) {
    lane = (lane - lane.maxCoeff()).exp();
    lane /= lane.sum();
  }
  // dx = y ⊙ (g - Σ g ⊙ y)
  static void backward(auto&& dx, const auto& y, const auto& g) { dx = y * (g - (g * y).sum()); }
};

struct log_softmax_kind {
  static constexpr const char* name = "log_softmax";
  static void forward(auto&& lane) {
    lane -= lane.maxCoeff();
    lane -= std::log(lane.exp().sum());
  }
  // dx = g - softmax(x) Σ g, and softmax(x) = exp(y)
  static void backward(auto&& dx, const auto& y, const auto& g) { dx = g - y.exp() * g.sum(); }
};

}  // namespace ops

/// softmax-like `Kind` of `Arg` along `Axis`.
template <class Kind, int Axis, class Arg>
class softmax_node : public detail::materialized<typename Arg::scalar_type, typename Arg::shape_type> {
  using T = typename Arg::scalar_type;
  using base = detail::materialized<T, typename Arg::shape_type>;
  static constexpr int normalized_axis = normalize_axis(Axis, Arg::shape_type::rank);

 public:
  explicit softmax_node(Arg arg) : base(arg.dims()), arg_(std::move(arg)) {}

  void forward() const {
    arg_.forward();
    auto& value = this->value();
    value.canvas() = arg_.lower();
    layout().each([](auto lane) { Kind::forward(lane); }, value.data());
  }

  [[nodiscard]] bool depends_on(const gradient_sink<T>& sink) const { return arg_.depends_on(sink); }

  template <class Adjoint>
  void backward(const Adjoint& adjoint, const gradient_sink<T>& sink) const {
    const T* g = detail::materialize_adjoint(adjoint, this->adjoint_);
    gradient_.resize(adjoint.rows(), adjoint.cols());
    const T* y = this->value_.data();
    layout().each([](auto dx, auto y_lane, auto g_lane) { Kind::backward(dx, y_lane, g_lane); }, gradient_.data(), y, g);
    arg_.backward(const_canvas_map<T>(gradient_.data(), gradient_.rows(), gradient_.cols()), sink);
  }

  void recycle(const softmax_node& previous) const {
    this->recycle_buffers(previous);
    gradient_.swap(previous.gradient_);
    detail::recycle(arg_, previous.arg_);
  }

 private:
  [[nodiscard]] detail::lane_layout layout() const { return detail::lane_layout::of(this->dims_, normalized_axis); }

  Arg arg_;
  mutable canvas_array<T> gradient_;
};

namespace detail {

template <class Kind, int Axis, class X>
auto make_softmax(X&& x) {
  using node = node_of<scalar_of<X>, X>;
  static_assert(reduction_axis_must_be_in_range<Axis, node::shape_type::rank>::value);
  return softmax_node<Kind, Axis, node>(as_node(std::forward<X>(x)));
}

}  // namespace detail

/// exp(x) / Σ exp(x) along `Axis` (default: the last), computed with the maximum subtracted.
template <node_operand X, int Axis = -1>
auto softmax(X&& x, axis_t<Axis> = {}) {
  return detail::make_softmax<ops::softmax_kind, Axis>(std::forward<X>(x));
}

/// x - log Σ exp(x) along `Axis` (default: the last), without overflow.
template <node_operand X, int Axis = -1>
auto log_softmax(X&& x, axis_t<Axis> = {}) {
  return detail::make_softmax<ops::log_softmax_kind, Axis>(std::forward<X>(x));
}

}  // namespace strata
