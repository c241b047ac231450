#pragma once
// Shared helpers for strata's tests: Catch2, the library, and a few short-hands.

#include <catch2/catch.hpp>

#include <strata/strata.hpp>

namespace strata::testing {

/// A double tensor of uniform samples in [low, high), reproducible by seed.
template <index... Dims>
tensor<double, shape<Dims...>> uniform(const extents<sizeof...(Dims)>& dims, std::uint64_t seed, double low = -1,
                                       double high = 1) {
  return tensor<double, shape<Dims...>>::random_uniform(dims, seed, low, high);
}

}  // namespace strata::testing

/// Requires `expression` to throw strata::data_error with a message matching `matcher`.
#define REQUIRE_DATA_ERROR(expression, matcher)            \
  do {                                                     \
    REQUIRE_THROWS_AS(expression, ::strata::data_error);   \
    REQUIRE_THROWS_WITH(expression, matcher);              \
  } while (false)

/// Requires a gradcheck report to pass, printing its message (the worst entry) when it does not.
#define STRATA_REQUIRE_GRADIENTS(report_expression)  \
  do {                                               \
    const auto strata_report = (report_expression);  \
    INFO(strata_report.message());                   \
    REQUIRE(strata_report.ok);                       \
  } while (false)
