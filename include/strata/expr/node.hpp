#pragma once
/// \file The expression-node protocol, leaves and the gradient sink.
///
/// An expression is a small value type (derived from `expression_tag`) with
///
///     using scalar_type = float or double;
///     using shape_type  = strata::shape<...>;               // static shape, dyn where unknown
///     extents<rank> dims() const;                          // run-time extents, checked at construction
///     void forward() const;                                // computes the values kept at materialisation points
///     auto lower() const;                                  // after forward: an Eigen array expression on the canvas
///     void backward(const Adjoint& g, const gradient_sink<T>&) const;   // g: an Eigen expression on the canvas
///     bool depends_on(const gradient_sink<T>&) const;      // whether any leaf below is asked for a gradient
///
/// The canvas of a node is the column-major array (last extent) × (product of the leading extents)
/// over its row-major values: elementwise chains stay lazy Eigen expressions on it, so they fuse.
/// Materialising nodes (matmul, reductions, softmax, ...) also offer `const T* data() const`.
///
/// Nodes with `static constexpr bool windowed = true` (elementwise nodes and tensor references)
/// also run forward and backward on a window of canvas columns, so that a loss `sum(f(x))` is
/// computed and differentiated in one pass over cache-sized windows (see value_and_grad.hpp):
///
///     void forward_window(index first, index count) const;     // the window's values, cached
///     auto lower_window(index first, index count) const;        // after forward_window
///     void backward_window(const Adjoint& g, index first, index count, const gradient_sink<T>&) const;
///     void backward_finish(const gradient_sink<T>&) const;      // after the last window

#include <memory>
#include <optional>
#include <span>
#include <tuple>
#include <type_traits>
#include <utility>

#include <Eigen/Core>

#include "strata/core/shape.hpp"
#include "strata/tensor/tensor.hpp"

namespace strata {

/// Where backward sends gradients: one slot per tensor a gradient is asked for, matched by the
/// address of the tensor's data. A tensor used several times gets its gradients summed.
template <scalar T>
class gradient_sink {
 public:
  struct slot {
    const T* value;
    T* gradient;
  };

  explicit gradient_sink(std::span<const slot> slots) : slots_(slots) {}

  /// The gradient buffer for the tensor whose data is at `value`, or null when none is asked for.
  [[nodiscard]] T* find(const T* value) const {
    for (const slot& s : slots_)
      if (s.value == value) return s.gradient;
    return nullptr;
  }

 private:
  std::span<const slot> slots_;
};

/// The canvas extents of a tensor with the given dims: rows are the last extent, columns the rest.
struct canvas_extents {
  index rows = 1;
  index cols = 1;
};

template <std::size_t Rank>
constexpr canvas_extents canvas_of(const extents<Rank>& dims) {
  if constexpr (Rank == 0) {
    return {1, 1};
  } else {
    index cols = 1;
    for (std::size_t i = 0; i + 1 < Rank; ++i) cols *= dims[i];
    return {dims[Rank - 1], cols};
  }
}

template <scalar T>
using canvas_array = Eigen::Array<T, Eigen::Dynamic, Eigen::Dynamic>;
template <scalar T>
using canvas_map = Eigen::Map<canvas_array<T>, Eigen::AlignedMax>;
template <scalar T>
using const_canvas_map = Eigen::Map<const canvas_array<T>, Eigen::AlignedMax>;

/// Nodes whose value sits in memory after `forward` (leaves and materialisation points).
template <class N>
concept materialized_node = expression<N> && requires(const N& node) {
  { node.data() } -> std::convertible_to<const typename N::scalar_type*>;
};

/// A tensor held by reference: a parameter or an input that outlives the expression.
template <scalar T, shape_type Shape>
class tensor_ref : public expression_tag {
 public:
  using scalar_type = T;
  using shape_type = Shape;

  explicit tensor_ref(const tensor<T, Shape>& t) : tensor_(&t), dims_(t.dims()) {}

  /// The extents the tensor had when the expression was built: every node's extents follow
  /// from them, so `forward` refuses a tensor that has been resized since.
  [[nodiscard]] const extents<Shape::rank>& dims() const { return dims_; }
  [[nodiscard]] const T* data() const { return tensor_->data(); }
  void forward() const {
    if (tensor_->dims() != dims_)
      throw shape_error(fmt::format("strata: a tensor of the expression was resized from {} to {} after the expression "
                                    "was built; build the expression again",
                                    format_dims(dims_), format_dims(tensor_->dims())));
  }
  [[nodiscard]] auto lower() const { return tensor_->canvas(); }
  [[nodiscard]] bool depends_on(const gradient_sink<T>& sink) const { return sink.find(data()) != nullptr; }

  template <class Adjoint>
  void backward(const Adjoint& adjoint, const gradient_sink<T>& sink) const {
    if (T* gradient = sink.find(data())) {
      canvas_map<T>(gradient, tensor_->canvas_rows(), tensor_->canvas_cols()) += adjoint;
    }
  }

  static constexpr bool windowed = true;
  void forward_window(index, index) const {}
  [[nodiscard]] auto lower_window(index first, index count) const { return lower().middleCols(first, count); }
  template <class Adjoint>
  void backward_window(const Adjoint& adjoint, index first, index count, const gradient_sink<T>& sink) const {
    if (T* gradient = sink.find(data())) {
      canvas_map<T>(gradient, tensor_->canvas_rows(), tensor_->canvas_cols()).middleCols(first, count) += adjoint;
    }
  }
  void backward_finish(const gradient_sink<T>&) const {}

 private:
  const tensor<T, Shape>* tensor_;
  extents<Shape::rank> dims_;
};

/// A tensor held by value: a temporary moved into the expression, so nothing can dangle. Nobody
/// can ask for its gradient.
template <scalar T, shape_type Shape>
class tensor_value : public expression_tag {
 public:
  using scalar_type = T;
  using shape_type = Shape;

  explicit tensor_value(tensor<T, Shape> t) : tensor_(std::move(t)) {}

  [[nodiscard]] const extents<Shape::rank>& dims() const { return tensor_.dims(); }
  [[nodiscard]] const T* data() const { return tensor_.data(); }
  void forward() const {}
  [[nodiscard]] auto lower() const { return tensor_.canvas(); }
  [[nodiscard]] bool depends_on(const gradient_sink<T>&) const { return false; }
  template <class Adjoint>
  void backward(const Adjoint&, const gradient_sink<T>&) const {}

 private:
  tensor<T, Shape> tensor_;
};

/// A scalar constant (a number written in an expression); it broadcasts to any shape.
template <scalar T>
class constant : public expression_tag {
 public:
  using scalar_type = T;
  using shape_type = shape<>;

  explicit constant(T value) : value_(value) {}

  [[nodiscard]] extents<0> dims() const { return {}; }
  [[nodiscard]] T value() const { return value_; }
  void forward() const {}
  [[nodiscard]] auto lower(index rows = 1, index cols = 1) const { return canvas_array<T>::Constant(rows, cols, value_); }
  [[nodiscard]] bool depends_on(const gradient_sink<T>&) const { return false; }
  template <class Adjoint>
  void backward(const Adjoint&, const gradient_sink<T>&) const {}

 private:
  T value_;
};

namespace detail {

template <class X>
struct tensor_traits : std::false_type {};
template <scalar T, shape_type S>
struct tensor_traits<tensor<T, S>> : std::true_type {
  using scalar_type = T;
};

template <class X>
struct is_constant : std::false_type {};
template <scalar T>
struct is_constant<constant<T>> : std::true_type {};

}  // namespace detail

/// A tensor (held by reference when an lvalue, by value when a temporary) or an expression.
template <class X>
concept node_operand = expression<X> || detail::tensor_traits<std::remove_cvref_t<X>>::value;

/// What an elementwise op accepts: a node operand or a plain number.
template <class X>
concept operand = node_operand<X> || std::is_arithmetic_v<std::remove_cvref_t<X>>;

template <class X>
concept constant_node = detail::is_constant<std::remove_cvref_t<X>>::value;

/// Nodes that run forward and backward window by window (see the file comment).
template <class N>
concept windowed_node = expression<N> && requires { requires N::windowed; };

/// The scalar type of a node operand.
template <node_operand X>
using scalar_of = typename std::remove_cvref_t<X>::scalar_type;

/// Turns an operand into a node: tensors by reference or by value, numbers into constants of `T`.
template <scalar T, class X>
auto as_node(X&& x) {
  using plain = std::remove_cvref_t<X>;
  if constexpr (expression<plain>) {
    return plain(std::forward<X>(x));
  } else if constexpr (detail::tensor_traits<plain>::value) {
    static_assert(std::same_as<typename plain::scalar_type, T>, "strata: operands must have the same scalar type");
    if constexpr (std::is_lvalue_reference_v<X>) {
      return tensor_ref<T, typename plain::shape_type>(x);
    } else {
      return tensor_value<T, typename plain::shape_type>(std::move(x));
    }
  } else {
    return constant<T>(static_cast<T>(x));
  }
}

template <node_operand X>
auto as_node(X&& x) {
  return as_node<scalar_of<X>>(std::forward<X>(x));
}

/// The node type an operand becomes.
template <scalar T, class X>
using node_of = decltype(as_node<T>(std::declval<X>()));

namespace detail {

/// The value of `node` as contiguous row-major memory: its own data when it has some, else
/// evaluated into `buffer` (allocated once, reused while the extents stay the same).
template <class Node, class T = typename Node::scalar_type>
const T* materialize(const Node& node, canvas_array<T>& buffer) {
  if constexpr (materialized_node<Node>) {
    return node.data();
  } else {
    const canvas_extents c = canvas_of(node.dims());
    buffer.resize(c.rows, c.cols);
    buffer = node.lower();
    return buffer.data();
  }
}

/// Evaluates an adjoint expression into `buffer` unless it already is memory.
template <class Adjoint, class T>
const T* materialize_adjoint(const Adjoint& adjoint, canvas_array<T>& buffer) {
  buffer.resize(adjoint.rows(), adjoint.cols());
  buffer = adjoint;
  return buffer.data();
}

/// Hands the buffers of `previous`, an expression of the same type that is about to be destroyed,
/// to `node`, which was just built to replace it: a model rebuilds each layer's expression every
/// step, and this keeps the memory of the last one, so steady-state steps allocate nothing.
/// Nodes with buffers implement `recycle(previous)`, swapping theirs and recursing into their
/// operands; leaves have none.
template <class Node>
void recycle(const Node& node, const Node& previous) {
  if constexpr (requires { node.recycle(previous); }) node.recycle(previous);
}

/// The last expression of some type built at one place in a loop (a loss built every step): the
/// next one of the same type takes over its buffers. Allocates only when the type changes. The
/// kept expression may outlive the tensors it refers to (a batch of a finished fit); it is only
/// ever read for its buffers, never evaluated, once a newer one exists.
///
///     auto& kept = cache.keep(loss(y, target));   // a reference to the stored expression
class expression_cache {
 public:
  template <class Expression>
  Expression& keep(Expression&& fresh) {
    using plain = std::remove_cvref_t<Expression>;
    auto* held = dynamic_cast<holder<plain>*>(held_.get());
    if (held == nullptr) {
      auto created = std::make_unique<holder<plain>>();
      held = created.get();
      held_ = std::move(created);
    }
    if (held->expression) recycle(fresh, *held->expression);
    held->expression.reset();
    return held->expression.emplace(std::forward<Expression>(fresh));
  }

 private:
  struct holder_base {
    virtual ~holder_base() = default;
  };
  template <class Expression>
  struct holder : holder_base {
    std::optional<Expression> expression;
  };
  std::unique_ptr<holder_base> held_;
};

/// Swaps each buffer with its counterpart (Eigen arrays and tensors swap their storage pointers).
template <class... Buffers>
void swap_buffers(std::tuple<Buffers&...> mine, std::tuple<Buffers&...> theirs) {
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (std::get<I>(mine).swap(std::get<I>(theirs)), ...);
  }(std::index_sequence_for<Buffers...>{});
}

}  // namespace detail
}  // namespace strata
