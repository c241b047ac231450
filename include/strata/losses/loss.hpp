#pragma once
/// \file What every loss shares: the loss concept, the check that predictions and targets fit,
/// and the scalar value of a loss expression.
///
/// A loss is a config struct (Keras' name and arguments, reflected) whose call
/// `loss(y_pred, y_true)` returns a scalar expression, so its gradient comes from the expression:
///
///     strata::loss::mean_squared_error mse;
///     auto expression = mse(prediction, target);        // a scalar expression
///     float value = strata::loss::value_of(expression); // evaluates it
///
/// Every loss reduces as Keras' default `sum_over_batch_size`: the mean of the per-sample losses.

#include <concepts>
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <string_view>

#include <fmt/format.h>

#include "strata/core/error.hpp"
#include "strata/core/reflect.hpp"
#include "strata/core/shape.hpp"
#include "strata/expr/node.hpp"
#include "strata/tensor/format.hpp"

namespace strata::loss {

/// A loss for predictions `Prediction` and targets `Target`: a struct with Keras' `name` whose call
/// gives a scalar expression.
template <class Loss, class Prediction, class Target>
concept loss_for = requires(const Loss& loss, const Prediction& y_pred, const Target& y_true) {
  { Loss::name } -> std::convertible_to<std::string_view>;
  { loss(y_pred, y_true) } -> expression;
};

/// The value of a scalar expression (a loss) without its gradient.
template <expression E>
typename E::scalar_type value_of(const E& loss) {
  if (element_count(loss.dims()) != 1)
    throw shape_error(fmt::format("strata: a loss is a scalar, this expression has shape {}", format_dims(loss.dims())));
  loss.forward();
  return loss.lower()(0, 0);
}

namespace detail {

template <class Prediction, class Target>
struct targets_must_match {
  static constexpr bool value = shapes_agree<Prediction, Target>();
  static_assert(value, "strata: a loss needs targets of the predictions' shape (the two shapes above)");
};

/// Whether targets can have the predictions' shape; when they cannot, the static_assert above
/// fires, naming both shapes. Losses build their expression only when this holds (`if
/// constexpr`), so that message is the first error.
template <class Prediction, class Target>
inline constexpr bool targets_fit = targets_must_match<typename std::remove_cvref_t<Prediction>::shape_type,
                                                       typename std::remove_cvref_t<Target>::shape_type>::value;

/// Checks at run time what targets_fit checks at compile time, where extents are dyn.
template <class Prediction, class Target>
void check_targets(std::string_view loss, const Prediction& y_pred, const Target& y_true) {
  if (y_pred.dims() != y_true.dims())
    throw shape_error(fmt::format("strata: {}: targets of shape {} do not match predictions of shape {}", loss,
                                  format_dims(y_true.dims()), format_dims(y_pred.dims())));
}

/// How many samples the loss averages over: the product of all extents but the last (at least 1
/// for rank 1 and below, whose samples are scalars).
template <std::size_t Rank>
index sample_count(const extents<Rank>& dims) {
  if constexpr (Rank <= 1) {
    return Rank == 0 ? 1 : dims[0];
  } else {
    index count = 1;
    for (std::size_t i = 0; i + 1 < Rank; ++i) count *= dims[i];
    return count;
  }
}

}  // namespace detail
}  // namespace strata::loss

namespace strata {

/// One loss per output of a model with several, in the order of its outputs:
/// `strata::losses(loss::mean_squared_error{}, loss::sparse_categorical_crossentropy{})`. fit sums
/// them, each scaled by its `loss_weights` entry, as Keras does.
template <class... Losses>
struct losses_t {
  std::tuple<Losses...> each;
};
template <class... Losses>
losses_t<Losses...> losses(Losses... each) {
  return {{std::move(each)...}};
}

namespace detail {

/// The loss of output `K`: its own from a losses_t, else the one loss given for every output.
template <std::size_t K, class Loss>
const auto& loss_of_output(const Loss& loss) {
  if constexpr (requires { loss.each; }) {
    return std::get<K>(loss.each);
  } else {
    return loss;
  }
}

}  // namespace detail
}  // namespace strata
