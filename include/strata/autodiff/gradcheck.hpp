#pragma once
/// \file Gradient checking: reverse-mode gradients against central finite differences, in double.
///
///     strata::tensor<double, strata::shape<3, 4>> x = ...;
///     strata::tensor<double, strata::shape<4>> w = ...;
///     auto loss = strata::sum(strata::tanh(x * w));
///     auto report = strata::gradcheck(loss, strata::named("x", x), strata::named("w", w));
///     REQUIRE(report.ok);       // else report.message() names the parameter and the worst entry
///
/// An entry passes when |analytic - numeric| <= tolerance · max(1, |analytic|, |numeric|): a
/// relative error for gradients of magnitude >= 1, an absolute one below.
/// For a non-scalar expression, check `strata::project(e, seed)`: Σ e ⊙ r for a fixed random r,
/// which exercises every output's adjoint.

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <string_view>
#include <tuple>

#include <fmt/format.h>

#include "strata/autodiff/value_and_grad.hpp"
#include "strata/expr/ops/elementwise_binary.hpp"
#include "strata/expr/ops/reduce.hpp"

namespace strata {

/// A tensor to check, with the name the report uses for it. It is perturbed and restored.
template <shape_type S>
struct named_tensor {
  std::string_view name;
  tensor<double, S>& value;
};

template <shape_type S>
named_tensor<S> named(std::string_view name, tensor<double, S>& value) {
  return {name, value};
}

struct gradcheck_options {
  double step = 1e-6;       // central difference step
  double tolerance = 1e-6;  // see the file comment
};

struct gradcheck_report {
  bool ok = true;
  double worst_error = 0;  // the largest scaled error found
  std::string parameter;   // where it was found
  std::string position;    // the index, e.g. (2, 3)
  double analytic = 0, numeric = 0;
  double tolerance = 0;

  [[nodiscard]] std::string message() const {
    return fmt::format("gradcheck {}: worst entry {}{} analytic {:.12g} numeric {:.12g} error {:.3g} (tolerance {:.3g})",
                       ok ? "passed" : "FAILED", parameter, position, analytic, numeric, worst_error, tolerance);
  }
};

namespace detail {

template <std::size_t Rank>
extents<Rank> unflatten(index flat, const extents<Rank>& dims) {
  extents<Rank> position{};
  for (std::size_t i = Rank; i-- > 0;) {
    position[i] = dims[i] == 0 ? 0 : flat % dims[i];
    flat = dims[i] == 0 ? 0 : flat / dims[i];
  }
  return position;
}

/// Compares `analytic` (d loss / d value) with central differences of `evaluate()` (the loss as
/// a double) over every entry of `value`, which is perturbed and restored; keeps the worst entry
/// in `report`.
template <class Value, class Gradient, class Evaluate>
void compare_with_finite_differences(gradcheck_report& report, std::string_view name, Value& value,
                                     const Gradient& analytic, Evaluate&& evaluate, const gradcheck_options& options) {
  for (index i = 0; i < value.size(); ++i) {
    double& entry = value.data()[i];
    const double saved = entry;
    entry = saved + options.step;
    const double up = evaluate();
    entry = saved - options.step;
    const double down = evaluate();
    entry = saved;
    const double numeric = (up - down) / (2 * options.step);
    const double exact = analytic.data()[i];
    const double scale = std::max({1.0, std::abs(exact), std::abs(numeric)});
    const double error = std::isfinite(numeric) && std::isfinite(exact) ? std::abs(exact - numeric) / scale
                                                                        : std::numeric_limits<double>::infinity();
    if (error >= report.worst_error || report.parameter.empty()) {
      report.worst_error = error;
      report.parameter = std::string(name);
      report.position = format_dims(unflatten(i, value.dims()));
      report.analytic = exact;
      report.numeric = numeric;
    }
  }
}

}  // namespace detail

/// Checks the gradients of the scalar double expression `loss` with respect to each named tensor.
template <expression E, shape_type... S>
gradcheck_report gradcheck_with(const gradcheck_options& options, const E& loss, named_tensor<S>... tensors) {
  static_assert(std::same_as<typename E::scalar_type, double>, "strata: gradcheck runs in double");
  std::tuple<tensor<double, S>...> analytic{tensor<double, S>(tensors.value.dims())...};
  std::apply([&](auto&... g) { backward(loss, wrt(tensors.value, g)...); }, analytic);

  gradcheck_report report;
  report.tolerance = options.tolerance;
  auto evaluate = [&] {
    loss.forward();
    return double(loss.lower()(0, 0));
  };
  std::apply([&](const auto&... g) { (detail::compare_with_finite_differences(report, tensors.name, tensors.value, g,
                                                                              evaluate, options),
                                      ...); },
             analytic);
  report.ok = report.worst_error <= options.tolerance;
  return report;
}

template <expression E, shape_type... S>
gradcheck_report gradcheck(const E& loss, named_tensor<S>... tensors) {
  return gradcheck_with(gradcheck_options{}, loss, tensors...);
}

/// Σ e ⊙ r for a fixed random r (seeded) shaped like `e`: a scalar whose gradient exercises
/// every element of e's adjoint.
template <expression E>
auto project(E e, std::uint64_t seed = 7) {
  e.forward();
  auto weights = tensor<typename E::scalar_type, typename E::shape_type>::random_uniform(e.dims(), seed, 0.5, 1.5);
  return sum(std::move(e) * std::move(weights));
}

}  // namespace strata
