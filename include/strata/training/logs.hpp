#pragma once
/// \file What training reports: the logs of a batch or an epoch (named values in order, as
/// Keras' `logs` dict) and the history fit returns (one value per epoch for every name).
///
///     strata::history history = strata::fit(model, x, y, loss, optimizer, {.epochs = 5});
///     for (double accuracy : history["val_accuracy"]) fmt::print("{:.4f}\n", accuracy);

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace strata {

/// Named values in the order they were first set ("loss", "accuracy", "val_loss", ...).
class logs {
 public:
  /// Sets `name` (added at the end if new; existing names are updated in place, no allocation).
  void set(std::string_view name, double value) {
    for (auto& entry : entries_)
      if (entry.first == name) {
        entry.second = value;
        return;
      }
    entries_.emplace_back(std::string(name), value);
  }
  [[nodiscard]] std::optional<double> get(std::string_view name) const {
    for (const auto& entry : entries_)
      if (entry.first == name) return entry.second;
    return std::nullopt;
  }
  /// The value of `name`; std::out_of_range naming the ones there are when it is missing.
  [[nodiscard]] double at(std::string_view name) const {
    if (auto value = get(name)) return *value;
    throw std::out_of_range(fmt::format("strata: no '{}' in the logs; there are: {}", name, fmt::join(names(), ", ")));
  }
  [[nodiscard]] std::vector<std::string> names() const {
    std::vector<std::string> result;
    for (const auto& entry : entries_) result.push_back(entry.first);
    return result;
  }
  [[nodiscard]] const std::vector<std::pair<std::string, double>>& entries() const { return entries_; }
  void clear() { entries_.clear(); }

 private:
  std::vector<std::pair<std::string, double>> entries_;
};

/// One value per epoch for every logged name, as Keras' `History.history`, and the epochs' times.
struct history {
  /// The epochs that ran (Keras counts from 0).
  std::vector<int> epochs;
  /// name → values, in the order of the logs.
  std::vector<std::pair<std::string, std::vector<double>>> values;
  /// Wall time of each epoch's training steps, and of the whole epoch (validation included).
  std::vector<double> train_seconds, epoch_seconds;
  /// Why training stopped before the last epoch ("" when it did not).
  std::string stop_reason;

  void append(int epoch, const logs& epoch_logs, double train_time, double epoch_time) {
    epochs.push_back(epoch);
    train_seconds.push_back(train_time);
    epoch_seconds.push_back(epoch_time);
    for (const auto& [name, value] : epoch_logs.entries()) {
      // `&name = name`: clang 14 cannot capture a structured binding itself.
      auto found =
          std::find_if(values.begin(), values.end(), [&, &name = name](const auto& entry) { return entry.first == name; });
      if (found == values.end()) {
        values.emplace_back(name, std::vector<double>{});
        found = values.end() - 1;
      }
      found->second.push_back(value);
    }
  }

  [[nodiscard]] bool contains(std::string_view name) const {
    return std::any_of(values.begin(), values.end(), [&](const auto& entry) { return entry.first == name; });
  }
  /// The values of `name`, one per epoch; std::out_of_range listing the names when it is missing.
  [[nodiscard]] const std::vector<double>& operator[](std::string_view name) const {
    for (const auto& entry : values)
      if (entry.first == name) return entry.second;
    std::vector<std::string_view> names;
    for (const auto& entry : values) names.push_back(entry.first);
    throw std::out_of_range(fmt::format("strata: no '{}' in the history; there are: {}", name, fmt::join(names, ", ")));
  }
};

}  // namespace strata
