#pragma once
/// \file Reverse-mode gradients of a scalar expression, by a compile-time traversal of its type.
///
///     auto loss = strata::sum(0.5f * strata::exp(x * w));
///     auto [value, grads] = strata::value_and_grad(loss, w);      // grads: std::tuple<tensor>
///
///     strata::tensor<float, strata::shape<256>> dw;               // steady state, no allocation:
///     float v = strata::backward(loss, strata::wrt(w, dw));      // dw += d loss / d w

#include <algorithm>
#include <array>
#include <stdexcept>
#include <tuple>

#include "strata/expr/node.hpp"
#include "strata/tensor/tensor.hpp"

namespace strata {

/// A tensor to differentiate with respect to, and the tensor its gradient is added to.
template <scalar T, shape_type S>
struct wrt_t {
  const tensor<T, S>& value;
  tensor<T, S>& gradient;
};

/// Asks `backward` for d loss / d value, accumulated into `gradient` (resized to fit if needed).
template <scalar T, shape_type S>
wrt_t<T, S> wrt(const tensor<T, S>& value, tensor<T, S>& gradient) {
  return {value, gradient};
}

namespace detail {

/// A loss `sum(f(...))` or `mean(f(...))` of an elementwise f: its adjoint is known before its
/// value, so value and gradient come from one pass over cache-sized windows of f's canvas, each
/// window's values computed once and reused by backward (the loop an expert would write).
template <class E>
concept one_pass_loss = requires(const E& loss) {
  requires E::sums_everything;
  requires windowed_node<typename E::argument_type>;
  loss.argument();
};

inline constexpr index window_elements = 4096;  // a window's values stay in L1/L2

template <one_pass_loss E, class T = typename E::scalar_type>
T one_pass_backward(const E& loss, const gradient_sink<T>& sink) {
  const auto& f = loss.argument();
  f.forward();
  const canvas_extents c = canvas_of(f.dims());
  const index width = std::max<index>(1, window_elements / std::max<index>(1, c.rows));
  const T weight = loss.element_weight();
  const bool wanted = f.depends_on(sink);
  T total = 0;
  for (index first = 0; first < c.cols; first += width) {
    const index count = std::min(width, c.cols - first);
    f.forward_window(first, count);
    total += f.lower_window(first, count).sum();
    if (wanted) f.backward_window(canvas_array<T>::Constant(c.rows, count, weight), first, count, sink);
  }
  if (wanted) f.backward_finish(sink);
  return total * weight;
}

template <class Shape>
struct loss_must_be_scalar {
  static constexpr bool value = Shape::size == 1 || Shape::size == dyn;
  static_assert(value, "strata: gradients are taken of a scalar expression (one element; shape above)");
};

}  // namespace detail

/// Evaluates the scalar expression `loss`, adds its gradient with respect to each `wrt(...)`
/// tensor into that tensor's gradient, and returns the loss. Gradients accumulate, as in PyTorch:
/// zero them between steps.
template <expression E, scalar T, shape_type... S>
T backward(const E& loss, wrt_t<T, S>... targets) {
  static_assert(detail::loss_must_be_scalar<typename E::shape_type>::value);
  static_assert(std::same_as<T, typename E::scalar_type>, "strata: loss and tensors must have the same scalar type");
  if (element_count(loss.dims()) != 1)
    throw shape_error(fmt::format("strata: gradients need a scalar loss, shape is {}", format_dims(loss.dims())));
  auto prepare = [](auto& target) {
    if (target.gradient.dims() != target.value.dims()) {
      target.gradient.resize(target.value.dims());
      target.gradient.fill(T(0));
    }
    return typename gradient_sink<T>::slot{target.value.data(), target.gradient.data()};
  };
  const std::array<typename gradient_sink<T>::slot, sizeof...(S)> slots{prepare(targets)...};
  for (std::size_t i = 0; i < slots.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (slots[i].value == slots[j].value && slots[i].value != nullptr)  // empty tensors have no data
        throw std::invalid_argument(
            fmt::format("strata: the same tensor is asked for twice (arguments {} and {}) in backward", j + 1, i + 1));
  const gradient_sink<T> sink(slots);
  if constexpr (detail::one_pass_loss<E>) {
    const canvas_extents c = canvas_of(loss.argument().dims());
    if (c.rows > 0 && c.cols > 0) return detail::one_pass_backward(loss, sink);
  }
  loss.forward();
  const T value = loss.lower()(0, 0);
  if (loss.depends_on(sink)) loss.backward(canvas_array<T>::Constant(1, 1, T(1)), sink);
  return value;
}

/// The value of the scalar expression `loss` and its gradients with respect to `tensors`, as a
/// pair (value, std::tuple of gradient tensors shaped like the tensors).
template <expression E, scalar T, shape_type... S>
auto value_and_grad(const E& loss, const tensor<T, S>&... tensors) {
  static_assert(detail::loss_must_be_scalar<typename E::shape_type>::value);  // here too: a shorter error
  std::tuple<tensor<T, S>...> gradients{tensor<T, S>(tensors.dims())...};
  const T value = std::apply([&](auto&... g) { return backward(loss, wrt(tensors, g)...); }, gradients);
  return std::pair{value, std::move(gradients)};
}

/// The gradients of the scalar expression `loss` with respect to `tensors`, as a std::tuple.
template <expression E, scalar T, shape_type... S>
auto grad(const E& loss, const tensor<T, S>&... tensors) {
  return value_and_grad(loss, tensors...).second;
}

}  // namespace strata
