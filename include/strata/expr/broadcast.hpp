#pragma once
/// \file How an elementwise operand of one shape is seen on the canvas of a larger output shape,
/// and how its adjoint is summed back over the broadcast axes.
///
/// Fast path (`replicate`): the operand's leading extents are a suffix of the output's (a bias
/// (f) against (batch, f)) and/or its last extent is a static 1 (a keepdims reduction (batch, 1)
/// against (batch, f)). A `broadcast_view` then reads it in place, packet by packet, and its
/// adjoint is a sum of column blocks. Any other numpy broadcast (`general`) is gathered into a
/// buffer. (Eigen's own `replicate` has no packet access, which would make the whole fused
/// expression scalar.)

#include <array>

#include "strata/expr/node.hpp"

namespace strata::detail {

enum class broadcast_kind { same, replicate, general };

struct broadcast_plan {
  broadcast_kind kind = broadcast_kind::same;
  bool rows = false;  // the last axis is broadcast: the operand's canvas has one row
};

/// Classifies operand shape `Operand` against output shape `Out` (static: a static 1 broadcasts).
template <shape_type Operand, shape_type Out>
constexpr broadcast_plan plan_broadcast() {
  constexpr std::size_t rank = Out::rank, pad = Out::rank - Operand::rank;
  std::array<bool, rank> broadcast{};
  bool any = false;
  for (std::size_t i = 0; i < rank; ++i) {
    const index op = i < pad ? 1 : Operand::dims[i - pad];
    broadcast[i] = op == 1 && Out::dims[i] != 1;
    any = any || broadcast[i];
  }
  if (!any) return {broadcast_kind::same, false};
  // The leading axes must read "broadcast..., kept..." for a replicate.
  bool kept_seen = false, replicable = true;
  for (std::size_t i = 0; i + 1 < rank; ++i) {
    if (!broadcast[i]) kept_seen = true;
    if (broadcast[i] && kept_seen) replicable = false;
  }
  return {replicable ? broadcast_kind::replicate : broadcast_kind::general, broadcast[rank - 1]};
}

/// An operand's canvas (rows × cols) repeated to fill a larger canvas: the output's columns are
/// copies of the operand's columns side by side, and with `RowsBroadcast` the operand has one
/// row, repeated down every column. An Eigen nullary functor with packet access.
template <scalar T, bool RowsBroadcast>
struct broadcast_view {
  const T* data;
  index rows, cols;
  index first = 0;  // the output column this view starts at (a window's first column)

  [[nodiscard]] index column(index col) const { return cols == 1 ? 0 : (first + col) % cols; }
  T operator()(index row, index col) const {
    return RowsBroadcast ? data[column(col)] : data[column(col) * rows + row];
  }
  template <class Packet>
  Packet packetOp(index row, index col) const {
    if constexpr (RowsBroadcast) {
      return Eigen::internal::pset1<Packet>(data[column(col)]);
    } else {
      return Eigen::internal::ploadu<Packet>(data + column(col) * rows + row);
    }
  }
};

/// Buffers an operand may need: its value (materialised or gathered), its adjoint (summed back),
/// and the full-size adjoint of a general broadcast. Allocated once, reused while extents stay.
template <scalar T>
struct operand_scratch {
  canvas_array<T> value, gradient, adjoint;
  canvas_array<T> source;  // a general broadcast's operand, evaluated before it is gathered
};

/// Strides of the operand's elements along each output axis, 0 on broadcast axes.
template <std::size_t OutRank, std::size_t Rank>
std::array<index, OutRank> broadcast_strides(const extents<Rank>& operand) {
  std::array<index, OutRank> strides{};
  index stride = 1;
  for (std::size_t i = OutRank; i-- > OutRank - Rank;) {
    const index extent = operand[i - (OutRank - Rank)];
    strides[i] = extent == 1 ? 0 : stride;
    stride *= extent;
  }
  return strides;
}

/// Calls `visit(out_offset, operand_offset)` for every output element, in row-major order.
template <std::size_t OutRank, class Visit>
void for_each_broadcast(const extents<OutRank>& out, const std::array<index, OutRank>& strides, Visit&& visit) {
  const index count = element_count(out);
  std::array<index, OutRank> position{};
  index operand_offset = 0;
  for (index i = 0; i < count; ++i) {
    visit(i, operand_offset);
    for (std::size_t axis = OutRank; axis-- > 0;) {
      operand_offset += strides[axis];
      if (++position[axis] < out[axis]) break;
      operand_offset -= strides[axis] * position[axis];
      position[axis] = 0;
    }
  }
}

/// Before lowering: materialise what the broadcast reads from memory.
template <shape_type Out, class Node, scalar T>
void prepare_broadcast(const Node& node, const extents<Out::rank>& out, operand_scratch<T>& scratch) {
  constexpr broadcast_plan plan = plan_broadcast<typename Node::shape_type, Out>();
  if constexpr (constant_node<Node> || plan.kind == broadcast_kind::same) {
    return;
  } else if constexpr (plan.kind == broadcast_kind::replicate) {
    if constexpr (!materialized_node<Node>) materialize(node, scratch.value);
  } else {
    const T* source = materialize(node, scratch.source);
    const canvas_extents c = canvas_of(out);
    scratch.value.resize(c.rows, c.cols);
    T* target = scratch.value.data();
    for_each_broadcast(out, broadcast_strides<Out::rank>(node.dims()),
                       [&](index i, index j) { target[i] = source[j]; });
  }
}

/// The operand as an Eigen expression on the output's canvas.
template <shape_type Out, class Node, scalar T>
auto lower_broadcast(const Node& node, canvas_extents out, const operand_scratch<T>& scratch) {
  constexpr broadcast_plan plan = plan_broadcast<typename Node::shape_type, Out>();
  if constexpr (constant_node<Node>) {
    return node.lower(out.rows, out.cols);
  } else if constexpr (plan.kind == broadcast_kind::same) {
    return node.lower();
  } else if constexpr (plan.kind == broadcast_kind::replicate) {
    const T* source = nullptr;
    if constexpr (materialized_node<Node>) {
      source = node.data();
    } else {
      source = scratch.value.data();
    }
    const canvas_extents c = canvas_of(node.dims());
    return canvas_array<T>::NullaryExpr(out.rows, out.cols, broadcast_view<T, plan.rows>{source, c.rows, c.cols});
  } else {
    return const_canvas_map<T>(scratch.value.data(), out.rows, out.cols);
  }
}

/// Sends the adjoint on the output's canvas to the operand, summed over its broadcast axes.
template <shape_type Out, class Node, class Adjoint, scalar T>
void send_adjoint(const Node& node, const Adjoint& adjoint, const extents<Out::rank>& out,
                  operand_scratch<T>& scratch, const gradient_sink<T>& sink) {
  constexpr broadcast_plan plan = plan_broadcast<typename Node::shape_type, Out>();
  if constexpr (constant_node<Node>) {
    return;
  } else if constexpr (plan.kind == broadcast_kind::same) {
    node.backward(adjoint, sink);
  } else if constexpr (plan.kind == broadcast_kind::replicate) {
    const canvas_extents c = canvas_of(node.dims());
    const index blocks = c.cols == 0 ? 0 : canvas_of(out).cols / c.cols;
    canvas_array<T>& sum = scratch.gradient;
    sum.resize(c.rows, c.cols);
    // The output's columns are `blocks` copies of the operand's columns, side by side. Summing
    // them block by block keeps Eigen on contiguous, vectorised columns (a lazy rowwise() sum
    // would walk the adjoint across its rows, one scalar at a time).
    if (plan.rows && c.cols == 1) {
      sum(0, 0) = adjoint.sum();
    } else {
      sum.setZero();
      for (index block = 0; block < blocks; ++block) {
        if constexpr (plan.rows) {
          sum += adjoint.middleCols(block * c.cols, c.cols).colwise().sum();
        } else {
          sum += adjoint.middleCols(block * c.cols, c.cols);
        }
      }
    }
    node.backward(const_canvas_map<T>(sum.data(), c.rows, c.cols), sink);
  } else {
    const T* full = materialize_adjoint(adjoint, scratch.adjoint);
    const canvas_extents c = canvas_of(node.dims());
    scratch.gradient.resize(c.rows, c.cols);
    scratch.gradient.setZero();
    T* target = scratch.gradient.data();
    for_each_broadcast(out, broadcast_strides<Out::rank>(node.dims()),
                       [&](index i, index j) { target[j] += full[i]; });
    node.backward(const_canvas_map<T>(scratch.gradient.data(), c.rows, c.cols), sink);
  }
}

// ---- The same, one window of output columns [first, first + count) at a time ----

/// The operand as an Eigen expression on a window of the output's canvas.
template <shape_type Out, class Node, scalar T>
auto lower_broadcast_window(const Node& node, canvas_extents out, index first, index count,
                            const operand_scratch<T>& scratch) {
  constexpr broadcast_plan plan = plan_broadcast<typename Node::shape_type, Out>();
  if constexpr (constant_node<Node>) {
    return node.lower(out.rows, count);
  } else if constexpr (plan.kind == broadcast_kind::same && windowed_node<Node>) {
    return node.lower_window(first, count);
  } else if constexpr (plan.kind == broadcast_kind::same) {
    return node.lower().middleCols(first, count);
  } else if constexpr (plan.kind == broadcast_kind::replicate) {
    const T* source = nullptr;
    if constexpr (materialized_node<Node>) {
      source = node.data();
    } else {
      source = scratch.value.data();
    }
    const canvas_extents c = canvas_of(node.dims());
    return canvas_array<T>::NullaryExpr(out.rows, count, broadcast_view<T, plan.rows>{source, c.rows, c.cols, first});
  } else {
    return const_canvas_map<T>(scratch.value.data(), out.rows, out.cols).middleCols(first, count);
  }
}

/// Computes the operand's window, when it caches windows itself.
template <shape_type Out, class Node>
void forward_broadcast_window(const Node& node, index first, index count) {
  if constexpr (windowed_node<Node> && plan_broadcast<typename Node::shape_type, Out>().kind == broadcast_kind::same)
    node.forward_window(first, count);
}

/// Takes the adjoint of one window: passes it on to a windowed operand, or keeps it (summed over
/// broadcast columns) until `finish_adjoint` sends it whole. Windows come in order from column 0.
template <shape_type Out, class Node, class Adjoint, scalar T>
void send_adjoint_window(const Node& node, const Adjoint& adjoint, const extents<Out::rank>& out, index first,
                         index count, operand_scratch<T>& scratch, const gradient_sink<T>& sink) {
  constexpr broadcast_plan plan = plan_broadcast<typename Node::shape_type, Out>();
  if constexpr (constant_node<Node>) {
    return;
  } else if constexpr (plan.kind == broadcast_kind::same && windowed_node<Node>) {
    node.backward_window(adjoint, first, count, sink);
  } else if constexpr (plan.kind == broadcast_kind::replicate) {
    const canvas_extents c = canvas_of(node.dims());
    canvas_array<T>& sum = scratch.gradient;
    if (first == 0) {
      sum.resize(c.rows, c.cols);
      sum.setZero();
    }
    // Column j of the window is column (first + j) mod c.cols of the operand.
    for (index j = 0, column = c.cols == 1 ? 0 : first % c.cols; j < count; ++j) {
      if constexpr (plan.rows) {
        sum(0, column) += adjoint.col(j).sum();
      } else {
        sum.col(column) += adjoint.col(j);
      }
      if (++column == c.cols) column = 0;
    }
  } else {
    const canvas_extents c = canvas_of(out);
    scratch.adjoint.resize(c.rows, c.cols);
    scratch.adjoint.middleCols(first, count) = adjoint;
  }
}

/// After the last window: sends what `send_adjoint_window` kept.
template <shape_type Out, class Node, scalar T>
void finish_adjoint(const Node& node, const extents<Out::rank>& out, operand_scratch<T>& scratch,
                    const gradient_sink<T>& sink) {
  constexpr broadcast_plan plan = plan_broadcast<typename Node::shape_type, Out>();
  if constexpr (constant_node<Node>) {
    return;
  } else if constexpr (plan.kind == broadcast_kind::same && windowed_node<Node>) {
    node.backward_finish(sink);
  } else if constexpr (plan.kind == broadcast_kind::replicate) {
    node.backward(const_canvas_map<T>(scratch.gradient.data(), scratch.gradient.rows(), scratch.gradient.cols()), sink);
  } else {
    const canvas_extents c = canvas_of(out);
    send_adjoint<Out>(node, const_canvas_map<T>(scratch.adjoint.data(), c.rows, c.cols), out, scratch, sink);
  }
}

}  // namespace strata::detail

template <strata::scalar T, bool RowsBroadcast>
struct Eigen::internal::functor_traits<strata::detail::broadcast_view<T, RowsBroadcast>> {
  enum { Cost = 2, PacketAccess = true, IsRepeatable = true };
};
