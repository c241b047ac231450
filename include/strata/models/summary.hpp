#pragma once
/// \file Keras' model summary table, shared by the static and the run-time models.
///
///     Model: "sequential"
///     ________________________________________________________________
///      Layer (type)                Output Shape              Param #
///     ================================================================
///      dense (Dense)               (None, 32)                544
///     ...

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "strata/core/dims.hpp"

namespace strata {

/// Parameter counts: all, trainable, non-trainable (as summary() prints them).
struct parameter_counts {
  index total = 0, trainable = 0, non_trainable = 0;
};

namespace detail {

/// 1234567 → "1,234,567", as Keras prints parameter counts.
inline std::string group_thousands(index value) {
  // appended, not inserted: g++ 12 -O3 sees a false -Warray-bounds in string::insert here
  const std::string digits = fmt::format("{}", value);
  std::string grouped;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && digits[i - 1] != '-' && (digits.size() - i) % 3 == 0) grouped += ',';
    grouped += digits[i];
  }
  return grouped;
}

/// One row of the table: "name (Class)", the output shape as text, the layer's parameter count
/// and, in a functional model, the layers it is connected to (`dense[0][0]`).
struct summary_row {
  std::string layer, shape;
  index params = 0;
  std::vector<std::string> connected{};
};

/// The table; a "Connected to" column (one connection a line) when any row has connections.
inline std::string summary_table(const std::string& model_name, const std::vector<summary_row>& rows,
                                 const parameter_counts& counts) {
  std::size_t layer_width = 28, shape_width = 25, params_width = 10, connected_width = 0;
  bool connections = false;
  for (const summary_row& r : rows) {
    layer_width = std::max(layer_width, r.layer.size() + 1);
    shape_width = std::max(shape_width, r.shape.size() + 1);
    params_width = std::max(params_width, group_thousands(r.params).size());
    for (const std::string& c : r.connected) connected_width = std::max(connected_width, c.size());
    connections = connections || !r.connected.empty();
  }
  if (connections) connected_width = std::max<std::size_t>(connected_width, 12);
  std::size_t width = 1 + layer_width + 1 + shape_width + 1 + params_width;
  if (connections) width += 1 + connected_width;
  auto line = [&](std::string_view layer, std::string_view shape, std::string_view params, std::string_view connected) {
    std::string text = fmt::format(" {:<{}} {:<{}} {:<{}}", layer, layer_width, shape, shape_width, params, params_width);
    if (connections) {
      text += fmt::format(" {}", connected);
      while (!text.empty() && text.back() == ' ') text.pop_back();
    }
    return text + "\n";
  };
  std::string text = fmt::format("Model: \"{}\"\n{}\n", model_name, std::string(width, '_'));
  text += line("Layer (type)", "Output Shape", "Param #", "Connected to") + std::string(width, '=') + "\n";
  for (const summary_row& r : rows) {
    text += line(r.layer, r.shape, group_thousands(r.params), r.connected.empty() ? "[]" : r.connected.front());
    for (std::size_t i = 1; i < r.connected.size(); ++i) text += line("", "", "", r.connected[i]);
  }
  text += fmt::format("{}\nTotal params: {}\nTrainable params: {}\nNon-trainable params: {}\n{}\n",
                      std::string(width, '='), group_thousands(counts.total), group_thousands(counts.trainable),
                      group_thousands(counts.non_trainable), std::string(width, '_'));
  return text;
}

}  // namespace detail
}  // namespace strata
