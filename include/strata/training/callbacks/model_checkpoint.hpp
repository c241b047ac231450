#pragma once
/// \file Save a checkpoint at the end of each epoch (Keras' ModelCheckpoint): the model's
/// variables and the optimizer's state, written atomically (see checkpoint.hpp).
///
///     strata::model_checkpoint saver({.path = "checkpoints/epoch{epoch:02d}-{val_loss:.3f}.ckpt",
///                                     .save_best_only = true});
///     strata::fit(model, x, y, loss, optimizer, {.epochs = 10, .validation_split = 0.1, .callbacks = {&saver}});
///
/// The path is a fmt format string with named fields: `epoch` (from 1, as Keras names files)
/// and every logged value ("loss", "val_accuracy", ...). With save_best_only, only epochs whose
/// monitored value beats the best so far are saved.

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>

#include <fmt/args.h>
#include <fmt/format.h>

#include "strata/training/callback.hpp"

namespace strata {

struct model_checkpoint_options {
  std::string path;
  std::string monitor = "val_loss";
  bool save_best_only = false;
  /// "auto" (max for names with "acc"), "min" or "max".
  std::string mode = "auto";
  /// With save_best_only: a value the first save must beat.
  std::optional<double> initial_value_threshold{};
};

class model_checkpoint : public callback {
 public:
  explicit model_checkpoint(model_checkpoint_options options) : options_(std::move(options)) {
    if (options_.path.empty()) throw std::invalid_argument("strata: model_checkpoint needs a path");
    if (options_.mode != "auto" && options_.mode != "min" && options_.mode != "max")
      throw std::invalid_argument(
          fmt::format("strata: model_checkpoint: mode must be auto, min or max, found '{}'", options_.mode));
    maximize_ = options_.mode == "max" || (options_.mode == "auto" && options_.monitor.find("acc") != std::string::npos);
    // Kept across fit calls with the same callback, as Keras does.
    best_ = options_.initial_value_threshold.value_or(maximize_ ? -std::numeric_limits<double>::infinity()
                                                                : std::numeric_limits<double>::infinity());
  }

  void on_epoch_end(training_control& control, int epoch, const logs& epoch_logs) override {
    // Weights that gave a NaN or infinite loss are not worth keeping (and a checkpoint cannot
    // hold non-finite values): the epoch is skipped, with a word on stderr.
    if (const auto loss = epoch_logs.get("loss"); loss && !std::isfinite(*loss)) {
      std::fprintf(stderr, "model_checkpoint: epoch %d not saved: the loss is %g\n", epoch + 1, *loss);
      return;
    }
    if (options_.save_best_only) {
      const std::optional<double> current = epoch_logs.get(options_.monitor);
      if (!current)
        throw std::invalid_argument(fmt::format("strata: model_checkpoint monitors '{}', which is not in the logs; "
                                                "there are: {}",
                                                options_.monitor, fmt::join(epoch_logs.names(), ", ")));
      if (std::isnan(*current) || !(maximize_ ? *current > best_ : *current < best_)) return;
      best_ = *current;
    }
    last_saved_ = path_for(epoch, epoch_logs);
    if (last_saved_.has_parent_path()) std::filesystem::create_directories(last_saved_.parent_path());
    control.save_checkpoint(last_saved_);
  }

  /// The file of the last save (empty before the first).
  [[nodiscard]] const std::filesystem::path& last_saved() const { return last_saved_; }

 private:
  std::filesystem::path path_for(int epoch, const logs& epoch_logs) const {
    fmt::dynamic_format_arg_store<fmt::format_context> fields;
    fields.push_back(fmt::arg("epoch", epoch + 1));
    for (const auto& [name, value] : epoch_logs.entries()) fields.push_back(fmt::arg(name.c_str(), value));
    try {
      return fmt::vformat(options_.path, fields);
    } catch (const fmt::format_error& error) {
      throw std::invalid_argument(fmt::format("strata: model_checkpoint path '{}': {} (fields: epoch, {})", options_.path,
                                              error.what(), fmt::join(epoch_logs.names(), ", ")));
    }
  }

  model_checkpoint_options options_;
  bool maximize_ = false;
  double best_ = 0;
  std::filesystem::path last_saved_;
};

}  // namespace strata
