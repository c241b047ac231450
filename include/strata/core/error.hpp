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

/// A data file that cannot be read as what it claims to be: missing, truncated, malformed, or
/// holding a value out of range. The message names the file, the position (a byte offset, or
/// line:column for text) and what was expected versus what was found.
///
///     strata: train.csv:3:7: expected a number, found 'abc'
class data_error : public std::runtime_error {
 public:
  explicit data_error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace strata
