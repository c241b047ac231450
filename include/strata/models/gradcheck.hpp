#pragma once
/// \file Gradient checks for models and layers: every trainable weight and the input, against
/// central finite differences, in double. Run it on your own layers.
///
///     auto x = strata::tensor<double, strata::shape<4, 3>>::random_normal({4, 3}, 1);
///     auto report = strata::gradcheck_layer(MyLayer{}, x);
///     if (!report.ok) std::puts(report.message().c_str());   // names the weight and the entry
///
/// The loss is Σ output ⊙ r for a fixed random r, which exercises every output's adjoint. Forward
/// passes run in training mode with a fixed step, so a random layer draws the same mask each time.

#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "strata/autodiff/gradcheck.hpp"
#include "strata/models/functional.hpp"
#include "strata/models/sequential.hpp"

namespace strata {

/// Checks d loss / d (each trainable weight, and the input when it is floating point) of `model`
/// at input `x`; `run` says how the forward passes run.
template <class Model>
gradcheck_report gradcheck_model(Model& model, typename Model::input_tensor x, const gradcheck_options& options = {},
                                 forward_options run = {.training = true, .step = 1}) {
  static_assert(std::same_as<typename Model::scalar_type, double>, "strata: gradcheck runs in double: use ::of<double> input");
  run.step = run.step.value_or(1);
  const auto& first = model.forward(x, run);
  const auto projection = Model::output_tensor::random_uniform(first.dims(), 7, 0.5, 1.5);
  auto loss = [&](const auto& y) { return sum(y * projection); };

  model.zero_gradients();
  tensor<double, typename Model::input_shape> input_gradient;
  constexpr bool floating_input = scalar<typename Model::input_tensor::scalar_type>;
  model.backward(x, loss, run, floating_input ? &input_gradient : nullptr);

  auto evaluate = [&] {
    const auto& y = model.forward(x, run);
    return double((y.flat() * projection.flat()).sum());
  };
  gradcheck_report report;
  report.tolerance = options.tolerance;
  model.for_each_weight([&](const std::string& name, auto& value, const auto& gradient) {
    detail::compare_with_finite_differences(report, name, value, gradient, evaluate, options);
  });
  if constexpr (floating_input)
    detail::compare_with_finite_differences(report, "input", x, input_gradient, evaluate, options);
  report.ok = report.worst_error <= options.tolerance && !report.parameter.empty();
  return report;
}

/// The same for a functional model of any number of inputs and outputs: `xs` holds one tensor per
/// input; the loss is Σ over the outputs of Σ output ⊙ r (a fixed random r per output).
template <class... In, class... Out, class... X>
gradcheck_report gradcheck_model(Model<model_inputs<In...>, model_outputs<Out...>>& model, std::tuple<X...> xs,
                                 const gradcheck_options& options = {},
                                 forward_options run = {.training = true, .step = 1}) {
  using model_type = Model<model_inputs<In...>, model_outputs<Out...>>;
  using T = typename model_type::scalar_type;
  static_assert(std::same_as<T, double>, "strata: gradcheck runs in double: use ::of<double> inputs");
  constexpr std::size_t outputs = model_type::output_count;
  run.step = run.step.value_or(1);
  auto refs = [&]() -> decltype(auto) {
    if constexpr (model_type::input_count == 1) {
      return (std::get<0>(xs));
    } else {
      return std::apply([](const auto&... x) { return typename model_type::input_tensors(x...); }, xs);
    }
  };
  auto as_tuple = [](auto&& y) {
    if constexpr (outputs == 1) {
      return std::tie(y);
    } else {
      return y;
    }
  };
  const auto projections = [&]<std::size_t... K>(std::index_sequence<K...>) {
    const auto first = as_tuple(model.forward(refs(), run));
    return std::make_tuple(
        model_type::template output_tensor_at<K>::random_uniform(std::get<K>(first).dims(), 7 + K, 0.5, 1.5)...);
  }(std::make_index_sequence<outputs>{});
  auto loss = [&](const auto&... y) {
    return [&]<std::size_t... K>(std::index_sequence<K...>) {
      return (sum(y * std::get<K>(projections)) + ...);
    }(std::make_index_sequence<outputs>{});
  };

  model.zero_gradients();
  std::tuple<tensor<T, typename X::shape_type>...> input_gradients;
  auto gradient_pointers = std::apply([](auto&... g) { return std::make_tuple(&g...); }, input_gradients);
  [&]<std::size_t... K>(std::index_sequence<K...>) {  // integer inputs (indices) have no gradient
    ((scalar<typename X::scalar_type> ? void() : void(std::get<K>(gradient_pointers) = nullptr)), ...);
  }(std::index_sequence_for<X...>{});
  if constexpr (model_type::input_count == 1) {
    model.backward(refs(), loss, run, std::get<0>(gradient_pointers));
  } else {
    model.backward(refs(), loss, run, gradient_pointers);
  }

  auto evaluate = [&] {
    const auto y = as_tuple(model.forward(refs(), run));
    return [&]<std::size_t... K>(std::index_sequence<K...>) {
      return (double((std::get<K>(y).flat() * std::get<K>(projections).flat()).sum()) + ...);
    }(std::make_index_sequence<outputs>{});
  };
  gradcheck_report report;
  report.tolerance = options.tolerance;
  model.for_each_weight([&](const std::string& name, auto& value, const auto& gradient) {
    detail::compare_with_finite_differences(report, name, value, gradient, evaluate, options);
  });
  auto check_input = [&]<std::size_t K>(std::integral_constant<std::size_t, K>) {
    if constexpr (scalar<typename std::tuple_element_t<K, std::tuple<X...>>::scalar_type>)
      detail::compare_with_finite_differences(report, fmt::format("input {}", K), std::get<K>(xs),
                                              std::get<K>(input_gradients), evaluate, options);
  };
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    (check_input(std::integral_constant<std::size_t, K>{}), ...);
  }(std::index_sequence_for<X...>{});
  report.ok = report.worst_error <= options.tolerance && !report.parameter.empty();
  return report;
}

/// Checks one layer: a model of just `layer` on an input shaped like `x` (with the given static
/// shape `S`; use `dyn` dims in `S` to check the run-time path).
template <class Layer, class Element, shape_type S>
gradcheck_report gradcheck_layer(const Layer& layer, const tensor<Element, S>& x, const gradcheck_options& options = {},
                                 forward_options run = {.training = true, .step = 1}) {
  Sequential model(input<Element, S, double>{}, layer);
  return gradcheck_model(model, x, options, run);
}

}  // namespace strata
