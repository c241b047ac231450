#pragma once
/// \file Early stopping: stop when a monitored value has stopped improving (Keras' EarlyStopping).
///
///     strata::early_stopping stopper({.monitor = "val_loss", .patience = 3, .restore_best_weights = true});
///     strata::fit(model, x, y, loss, optimizer, {.epochs = 100, .validation_split = 0.2, .callbacks = {&stopper}});
///
/// An epoch improves when the value beats the best so far by more than min_delta (lower is
/// better, or higher for names with "acc" in auto mode, as Keras). After `patience` epochs
/// without improvement training stops; with restore_best_weights the best epoch's weights are
/// put back when training ends.

#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "strata/training/callback.hpp"

namespace strata {

struct early_stopping_options {
  std::string monitor = "val_loss";
  double min_delta = 0;
  int patience = 0;
  /// "auto", "min" or "max".
  std::string mode = "auto";
  /// Training stops unless the value beats the baseline within `patience` epochs.
  std::optional<double> baseline{};
  bool restore_best_weights = false;
  /// Epochs before this one are not watched (a warm-up).
  int start_from_epoch = 0;
  bool verbose = false;
};

class early_stopping : public callback {
 public:
  explicit early_stopping(early_stopping_options options = {}) : options_(std::move(options)) {
    if (options_.mode != "auto" && options_.mode != "min" && options_.mode != "max")
      throw std::invalid_argument(
          fmt::format("strata: early_stopping: mode must be auto, min or max, found '{}'", options_.mode));
    maximize_ = options_.mode == "max" || (options_.mode == "auto" && options_.monitor.find("acc") != std::string::npos);
  }

  void on_train_begin(training_control&) override {
    wait_ = 0;
    stopped_epoch_ = best_epoch_ = -1;
    best_ = maximize_ ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    best_weights_.clear();
  }

  void on_epoch_end(training_control& control, int epoch, const logs& epoch_logs) override {
    if (epoch < options_.start_from_epoch) return;
    const std::optional<double> current = epoch_logs.get(options_.monitor);
    if (!current)
      throw std::invalid_argument(fmt::format("strata: early_stopping monitors '{}', which is not in the logs; "
                                              "there are: {}",
                                              options_.monitor, fmt::join(epoch_logs.names(), ", ")));
    if (options_.restore_best_weights && best_weights_.empty()) best_weights_ = control.snapshot();
    ++wait_;
    if (improves(*current, best_)) {
      best_ = *current;
      best_epoch_ = epoch;
      if (options_.restore_best_weights) best_weights_ = control.snapshot();
      if (!options_.baseline || improves(*current, *options_.baseline)) wait_ = 0;
      return;
    }
    if (wait_ >= options_.patience && epoch > 0) {
      stopped_epoch_ = epoch;
      control.stop_training(fmt::format("early stopping: {} did not improve for {} epochs (best {:.6g} at epoch {})",
                                        options_.monitor, wait_, best_, best_epoch_ + 1));
    }
  }

  void on_train_end(training_control& control, const logs&) override {
    if (options_.verbose && stopped_epoch_ >= 0) std::printf("Epoch %d: early stopping\n", stopped_epoch_ + 1);
    if (options_.restore_best_weights && !best_weights_.empty()) {
      if (options_.verbose)
        std::printf("Restoring model weights from the end of the best epoch: %d.\n", best_epoch_ + 1);
      control.restore(best_weights_);
    }
  }

  /// The epoch (from 0) training stopped at, -1 if it did not stop early.
  [[nodiscard]] int stopped_epoch() const { return stopped_epoch_; }
  /// The best epoch (from 0) and its value.
  [[nodiscard]] int best_epoch() const { return best_epoch_; }
  [[nodiscard]] double best() const { return best_; }

 private:
  [[nodiscard]] bool improves(double current, double reference) const {
    if (std::isnan(current)) return false;
    const double delta = std::abs(options_.min_delta);  // its sign does not matter, as in Keras
    return maximize_ ? current - delta > reference : current + delta < reference;
  }

  early_stopping_options options_;
  bool maximize_ = false;
  int wait_ = 0, stopped_epoch_ = -1, best_epoch_ = -1;
  double best_ = 0;
  weight_snapshot best_weights_;
};

}  // namespace strata
