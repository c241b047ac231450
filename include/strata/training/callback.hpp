#pragma once
/// \file Callbacks: code that runs at the points of training Keras' callbacks see, with a handle
/// on the model being trained (copy or restore its weights, save a checkpoint, stop training).
///
///     struct print_epochs : strata::callback {
///       void on_epoch_end(strata::training_control&, int epoch, const strata::logs& logs) override {
///         fmt::print("epoch {} loss {:.4f}\n", epoch, logs.at("loss"));
///       }
///     } printer;
///     strata::fit(model, x, y, loss, optimizer, {.epochs = 3, .callbacks = {&printer}});

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "strata/core/dims.hpp"
#include "strata/training/logs.hpp"

namespace strata {

/// Every variable of a model (weights and state such as moving means), copied in order. Values
/// are kept in double, which holds float weights exactly.
using weight_snapshot = std::vector<std::vector<double>>;

/// What a callback may do to the training run: fit implements it for the model it trains.
class training_control {
 public:
  virtual ~training_control() = default;

  [[nodiscard]] virtual weight_snapshot snapshot() const = 0;
  /// Restores the weights of a snapshot taken from this model.
  virtual void restore(const weight_snapshot& weights) = 0;
  /// Writes the model's variables and the optimizer's state to `path` (see checkpoint.hpp).
  virtual void save_checkpoint(const std::filesystem::path& path) const = 0;

  /// Asks fit to stop after the current step; `reason` ends up in history.stop_reason.
  void stop_training(std::string reason) {
    stop_requested_ = true;
    stop_reason_ = std::move(reason);
  }
  [[nodiscard]] bool stop_requested() const { return stop_requested_; }
  [[nodiscard]] const std::string& stop_reason() const { return stop_reason_; }

  /// The run's shape: epochs asked for and steps in each epoch.
  int epochs = 0;
  index steps_per_epoch = 0;

 private:
  bool stop_requested_ = false;
  std::string stop_reason_;
};

/// The base of every callback: override the points you need (all do nothing by default).
class callback {
 public:
  virtual ~callback() = default;
  virtual void on_train_begin(training_control&) {}
  virtual void on_epoch_begin(training_control&, int /*epoch*/) {}
  /// After each training step; `step` counts from 0 within the epoch; logs hold the epoch's
  /// running loss and metrics (a NaN loss in any batch makes the running loss NaN).
  virtual void on_train_batch_end(training_control&, int /*epoch*/, index /*step*/, const logs&) {}
  /// After validation, with the epoch's logs ("loss", metrics, "val_loss", "val_" metrics).
  virtual void on_epoch_end(training_control&, int /*epoch*/, const logs&) {}
  virtual void on_train_end(training_control&, const logs&) {}
};

}  // namespace strata
