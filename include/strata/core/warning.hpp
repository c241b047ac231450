#pragma once
/// \file Warnings: things strata accepts but a person should hear about (a config key it does
/// not know, a dtype it computes differently). They go to standard error unless redirected.
///
///     std::vector<std::string> seen;
///     auto previous = strata::set_warning_handler([&](std::string_view m) { seen.emplace_back(m); });
///     ...
///     strata::set_warning_handler(previous);

#include <cstdio>
#include <functional>
#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace strata {

using warning_handler = std::function<void(std::string_view message)>;

namespace detail {
inline warning_handler& current_warning_handler() {
  static warning_handler handler = [](std::string_view message) { fmt::print(stderr, "{}\n", message); };
  return handler;
}
}  // namespace detail

/// Sends warnings to `handler` from now on; returns the handler it replaces. Not thread-safe:
/// set it before loading models on several threads.
inline warning_handler set_warning_handler(warning_handler handler) {
  return std::exchange(detail::current_warning_handler(), std::move(handler));
}

/// Reports a warning ("strata: warning: ..." by convention) through the current handler.
inline void warn(std::string_view message) {
  if (detail::current_warning_handler()) detail::current_warning_handler()(message);
}

}  // namespace strata
