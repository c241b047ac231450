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

#include <utility>

#include "strata/autodiff/gradcheck.hpp"
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

/// Checks one layer: a model of just `layer` on an input shaped like `x` (with the given static
/// shape `S`; use `dyn` dims in `S` to check the run-time path).
template <class Layer, class Element, shape_type S>
gradcheck_report gradcheck_layer(const Layer& layer, const tensor<Element, S>& x, const gradcheck_options& options = {},
                                 forward_options run = {.training = true, .step = 1}) {
  Sequential model(input<Element, S, double>{}, layer);
  return gradcheck_model(model, x, options, run);
}

}  // namespace strata
