#pragma once
/// \file Reductions: sum, mean and max over every element or along one axis, with or without
/// keepdims (numpy / tf.reduce_* semantics). The axis is a compile-time constant, so the output
/// shape is static; an axis out of range is a compile error naming the axis and the rank.
///
///     auto total = strata::sum(x);                                   // shape ()
///     auto per_row = strata::sum(x, strata::axis<-1>, strata::keepdims);   // (batch, 1)
///     auto peak = strata::max(x, strata::axis<0>);                   // (f)

#include <limits>
#include <utility>

#include "strata/expr/materialized.hpp"
#include "strata/expr/node.hpp"

namespace strata {

/// A compile-time axis; negative counts from the end.
template <int Axis>
struct axis_t {
  static constexpr int value = Axis;
};
template <int Axis>
inline constexpr axis_t<Axis> axis{};

/// Keeps the reduced axis as extent 1.
struct keepdims_t {};
inline constexpr keepdims_t keepdims{};

namespace ops {

struct sum_reduction {
  static constexpr const char* name = "sum";
};
struct mean_reduction {
  static constexpr const char* name = "mean";
};
/// The gradient of max is shared equally between tied maxima, as TensorFlow does.
struct max_reduction {
  static constexpr const char* name = "max";
};

}  // namespace ops

namespace detail {

/// A reduction along `axis` seen on the canvas (rows = last extent L): the input's columns form
/// `outer` groups of `mid` runs of `run` columns; the output has `outer` groups of one run.
/// Along the last axis the canvas columns themselves are reduced instead.
struct reduction_layout {
  bool last_axis = false;
  index outer = 1, mid = 1, run = 1;

  template <std::size_t Rank>
  static reduction_layout of(const extents<Rank>& dims, int axis) {
    reduction_layout layout;
    layout.last_axis = axis == int(Rank) - 1;
    for (int i = 0; i < axis; ++i) layout.outer *= dims[std::size_t(i)];
    layout.mid = dims[std::size_t(axis)];
    for (int i = axis + 1; i + 1 < int(Rank); ++i) layout.run *= dims[std::size_t(i)];
    return layout;
  }
};

inline constexpr int all_axes = std::numeric_limits<int>::min();

template <class S, int Axis, bool KeepDims>
struct reduced_shape {
  using type = reduce_shape<S, Axis, KeepDims>;
};
template <class S, bool KeepDims>
struct reduced_shape<S, all_axes, KeepDims> {
  static constexpr auto dims = [] {
    extents<KeepDims ? S::rank : 0> ones{};
    for (index& d : ones) d = 1;
    return ones;
  }();
  using type = shape_from<dims>;
};

}  // namespace detail

/// `Kind` (sum, mean, max) over `Axis` (or every axis) of `Arg`.
template <class Kind, int Axis, bool KeepDims, class Arg>
class reduce : public detail::materialized<typename Arg::scalar_type,
                                           typename detail::reduced_shape<typename Arg::shape_type, Axis, KeepDims>::type> {
  using T = typename Arg::scalar_type;
  using in_shape = typename Arg::shape_type;
  using base = detail::materialized<T, typename detail::reduced_shape<in_shape, Axis, KeepDims>::type>;
  static constexpr bool everything = Axis == detail::all_axes;
  static constexpr int normalized_axis = everything ? -1 : normalize_axis(Axis, in_shape::rank);

 public:
  using typename base::shape_type;

  explicit reduce(Arg arg) : base(output_dims(arg.dims())), arg_(std::move(arg)) {}

  void forward() const {
    arg_.forward();
    auto out = this->value().canvas();
    if constexpr (std::same_as<Kind, ops::max_reduction>) {
      // max's gradient needs the input, so keep it.
      const canvas_extents c = canvas_of(arg_.dims());
      input_data_ = detail::materialize(arg_, input_);  // the arg's own memory when it has some
      reduce_into(out, const_canvas_map<T>(input_data_, c.rows, c.cols));
    } else {
      reduce_into(out, arg_.lower());
    }
  }

  [[nodiscard]] bool depends_on(const gradient_sink<T>& sink) const { return arg_.depends_on(sink); }

  /// A sum or mean of every element: a loss that `backward` can compute in one pass over windows.
  static constexpr bool sums_everything = everything && !std::same_as<Kind, ops::max_reduction>;
  using argument_type = Arg;
  [[nodiscard]] const Arg& argument() const { return arg_; }
  /// d output / d element: 1 for a sum, 1/count for a mean.
  [[nodiscard]] T element_weight() const {
    return std::same_as<Kind, ops::mean_reduction> ? T(1) / T(reduced_count()) : T(1);
  }

  template <class Adjoint>
  void backward(const Adjoint& adjoint, const gradient_sink<T>& sink) const {
    const T* g = detail::materialize_adjoint(adjoint, this->adjoint_);
    const canvas_extents c = canvas_of(arg_.dims());
    const T scale = std::same_as<Kind, ops::mean_reduction> ? T(1) / T(reduced_count()) : T(1);
    if constexpr (std::same_as<Kind, ops::max_reduction>) {
      send_max_adjoint(g, c, sink);
    } else if constexpr (everything) {
      arg_.backward(canvas_array<T>::Constant(c.rows, c.cols, g[0] * scale), sink);
    } else {
      const auto layout = detail::reduction_layout::of(arg_.dims(), normalized_axis);
      if (layout.last_axis) {
        arg_.backward(const_canvas_map<T>(g, 1, c.cols).replicate(c.rows, 1) * scale, sink);
      } else if (layout.outer == 1) {
        arg_.backward(const_canvas_map<T>(g, c.rows, layout.run).replicate(1, layout.mid) * scale, sink);
      } else {
        // Every input run of its group takes the group's adjoint.
        spread_.resize(c.rows, c.cols);
        const_canvas_map<T> groups(g, c.rows, layout.outer * layout.run);
        for (index o = 0; o < layout.outer; ++o)
          for (index m = 0; m < layout.mid; ++m)
            spread_.middleCols((o * layout.mid + m) * layout.run, layout.run) =
                groups.middleCols(o * layout.run, layout.run) * scale;
        arg_.backward(const_canvas_map<T>(spread_.data(), c.rows, c.cols), sink);
      }
    }
  }

  void recycle(const reduce& previous) const {
    this->recycle_buffers(previous);
    detail::swap_buffers(std::tie(input_, spread_), std::tie(previous.input_, previous.spread_));
    detail::recycle(arg_, previous.arg_);
  }

 private:
  static auto output_dims(const extents<in_shape::rank>& in) {
    if constexpr (everything) {
      return detail::reduced_shape<in_shape, Axis, KeepDims>::dims;
    } else {
      return reduce_rule<KeepDims>(in, normalized_axis).dims;
    }
  }

  [[nodiscard]] index reduced_count() const {
    return everything ? element_count(arg_.dims()) : arg_.dims()[std::size_t(normalized_axis)];
  }

  // Reduces a whole block of canvas columns into `out`.
  template <class Out, class Block>
  static void reduce_columns(Out&& out, const Block& block) {
    if constexpr (std::same_as<Kind, ops::max_reduction>) {
      out = block.colwise().maxCoeff();
    } else {
      out = block.colwise().sum();
    }
  }

  template <class Out, class In>
  void reduce_into(Out out, const In& in) const {
    if constexpr (everything) {
      if constexpr (std::same_as<Kind, ops::max_reduction>) {
        out(0, 0) = in.size() == 0 ? -std::numeric_limits<T>::infinity() : in.maxCoeff();
      } else {
        out(0, 0) = in.sum();
      }
    } else if (reduced_count() == 0) {
      // An empty axis (a dyn extent of 0): the sum is 0 and the max -inf, as in numpy and TensorFlow.
      out.setConstant(std::same_as<Kind, ops::max_reduction> ? -std::numeric_limits<T>::infinity() : T(0));
    } else {
      const auto layout = detail::reduction_layout::of(arg_.dims(), normalized_axis);
      if (layout.last_axis) {
        // out's canvas is (1, cols) in memory order whatever keepdims says.
        auto row = Eigen::Map<canvas_array<T>>(out.data(), 1, in.cols());
        reduce_columns(row, in);
      } else {
        auto groups = Eigen::Map<canvas_array<T>>(out.data(), in.rows(), layout.outer * layout.run);
        for (index o = 0; o < layout.outer; ++o) {
          auto target = groups.middleCols(o * layout.run, layout.run);
          const index first = o * layout.mid * layout.run;
          if (layout.run == 1) {
            if constexpr (std::same_as<Kind, ops::max_reduction>) {
              target = in.middleCols(first, layout.mid).rowwise().maxCoeff();
            } else {
              target = in.middleCols(first, layout.mid).rowwise().sum();
            }
          } else {
            target = in.middleCols(first, layout.run);
            for (index m = 1; m < layout.mid; ++m) {
              if constexpr (std::same_as<Kind, ops::max_reduction>) {
                target = target.max(in.middleCols(first + m * layout.run, layout.run));
              } else {
                target += in.middleCols(first + m * layout.run, layout.run);
              }
            }
          }
        }
      }
    }
    if constexpr (std::same_as<Kind, ops::mean_reduction>) {
      const index count = reduced_count();
      out /= count == 0 ? std::numeric_limits<T>::quiet_NaN() : T(count);
    }
  }

  // d max = g at the maxima, shared equally between ties.
  void send_max_adjoint(const T* g, canvas_extents c, const gradient_sink<T>& sink) const {
    const T* input = input_data_;
    const T* peak = this->value_.data();
    spread_.resize(c.rows, c.cols);
    T* out = spread_.data();
    const index count = element_count(arg_.dims());
    if constexpr (everything) {
      index ties = 0;
      for (index i = 0; i < count; ++i) ties += input[i] == peak[0];
      for (index i = 0; i < count; ++i) out[i] = input[i] == peak[0] ? g[0] / T(ties) : T(0);
    } else {
      // Element (o, m, q) of the (outer, mid, inner) view reduces into output element (o, q).
      index outer = 1;
      for (int i = 0; i < normalized_axis; ++i) outer *= arg_.dims()[std::size_t(i)];
      const index mid = arg_.dims()[std::size_t(normalized_axis)];
      const index inner = outer * mid == 0 ? 0 : count / (outer * mid);
      for (index o = 0; o < outer; ++o) {
        for (index q = 0; q < inner; ++q) {
          const index k = o * inner + q;
          index ties = 0;
          for (index m = 0; m < mid; ++m) ties += input[(o * mid + m) * inner + q] == peak[k];
          for (index m = 0; m < mid; ++m) {
            const index i = (o * mid + m) * inner + q;
            out[i] = input[i] == peak[k] ? g[k] / T(ties) : T(0);
          }
        }
      }
    }
    arg_.backward(const_canvas_map<T>(out, c.rows, c.cols), sink);
  }

  Arg arg_;
  mutable canvas_array<T> input_, spread_;
  mutable const T* input_data_ = nullptr;  // max's input, kept by forward for backward
};

namespace detail {

template <class Kind, int Axis, bool KeepDims, class X>
auto make_reduce(X&& x) {
  using node = node_of<scalar_of<X>, X>;
  if constexpr (Axis != all_axes) static_assert(reduction_axis_must_be_in_range<Axis, node::shape_type::rank>::value);
  return reduce<Kind, Axis, KeepDims, node>(as_node(std::forward<X>(x)));
}

}  // namespace detail

/// Sum of every element: a scalar (shape `()`).
template <node_operand X>
auto sum(X&& x) {
  return detail::make_reduce<ops::sum_reduction, detail::all_axes, false>(std::forward<X>(x));
}
/// Sum along `Axis`, dropping it (or keeping it as 1 with `strata::keepdims`).
template <node_operand X, int Axis>
auto sum(X&& x, axis_t<Axis>) {
  return detail::make_reduce<ops::sum_reduction, Axis, false>(std::forward<X>(x));
}
template <node_operand X, int Axis>
auto sum(X&& x, axis_t<Axis>, keepdims_t) {
  return detail::make_reduce<ops::sum_reduction, Axis, true>(std::forward<X>(x));
}

template <node_operand X>
auto mean(X&& x) {
  return detail::make_reduce<ops::mean_reduction, detail::all_axes, false>(std::forward<X>(x));
}
template <node_operand X, int Axis>
auto mean(X&& x, axis_t<Axis>) {
  return detail::make_reduce<ops::mean_reduction, Axis, false>(std::forward<X>(x));
}
template <node_operand X, int Axis>
auto mean(X&& x, axis_t<Axis>, keepdims_t) {
  return detail::make_reduce<ops::mean_reduction, Axis, true>(std::forward<X>(x));
}

template <node_operand X>
auto max(X&& x) {
  return detail::make_reduce<ops::max_reduction, detail::all_axes, false>(std::forward<X>(x));
}
template <node_operand X, int Axis>
auto max(X&& x, axis_t<Axis>) {
  return detail::make_reduce<ops::max_reduction, Axis, false>(std::forward<X>(x));
}
template <node_operand X, int Axis>
auto max(X&& x, axis_t<Axis>, keepdims_t) {
  return detail::make_reduce<ops::max_reduction, Axis, true>(std::forward<X>(x));
}

}  // namespace strata
