#pragma once
/// \file Exceptions thrown by strata. Every message names what was expected and what was found.

#include <stdexcept>
#include <string>

namespace strata {

/// A run-time shape mismatch: thrown where a `dyn` extent turns out not to fit, or where data
/// does not have the extents its static shape demands. The message names both shapes.
class shape_error : public std::invalid_argument {
 public:
  explicit shape_error(const std::string& message) : std::invalid_argument(message) {}
};

}  // namespace strata
