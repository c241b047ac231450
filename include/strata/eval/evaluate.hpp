#pragma once
/// \file Evaluating an expression into a tensor.
///
///     strata::tensor<float, strata::shape<strata::dyn, 4>> y = x * w + 1.0f;   // evaluates
///     auto z = strata::eval(strata::softmax(y));                               // deduces the type
///     strata::eval_into(strata::exp(x), y);       // reuses y's storage: no allocation in steady state

#include "strata/expr/node.hpp"
#include "strata/tensor/tensor.hpp"

namespace strata {

namespace detail {

template <class Target, class Source>
struct shapes_must_be_assignable {
  static constexpr bool value = [] {
    if (Target::rank != Source::rank) return false;
    for (std::size_t i = 0; i < Target::rank; ++i)
      if (!extents_agree(Target::dims[i], Source::dims[i])) return false;
    return true;
  }();
  static_assert(value, "strata: an expression of the second shape above cannot be stored in a tensor of the first");
};

}  // namespace detail

/// Evaluates `e` into `out`, resizing it if its extents differ (no allocation when they do not).
template <expression E, scalar T, shape_type S>
void eval_into(const E& e, tensor<T, S>& out) {
  static_assert(detail::shapes_must_be_assignable<S, typename E::shape_type>::value);
  static_assert(std::same_as<T, typename E::scalar_type>, "strata: tensor and expression scalar types differ");
  e.forward();
  if (element_count(e.dims()) != out.size()) {
    // New storage: evaluate beside the old one, which the expression may still be reading.
    tensor<T, S> fresh(e.dims());
    fresh.canvas() = e.lower();
    out.swap(fresh);
  } else {
    out.resize(e.dims());
    out.canvas() = e.lower();
  }
}

/// The value of `e` as a new tensor of the expression's shape.
template <expression E>
auto eval(const E& e) {
  tensor<typename E::scalar_type, typename E::shape_type> out;
  eval_into(e, out);
  return out;
}

template <element T, shape_type S>
template <expression E>
tensor<T, S>::tensor(const E& expression) {
  eval_into(expression, *this);
}

template <element T, shape_type S>
template <expression E>
tensor<T, S>& tensor<T, S>::operator=(const E& expression) {
  eval_into(expression, *this);
  return *this;
}

}  // namespace strata
