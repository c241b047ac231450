#pragma once
/// \file Stop training at the first NaN or infinite loss (Keras' TerminateOnNaN), naming the
/// epoch and step where it appeared.
///
///     strata::terminate_on_nan guard;
///     auto history = strata::fit(model, x, y, loss, optimizer, {.callbacks = {&guard}});
///     if (!history.stop_reason.empty()) std::fputs(history.stop_reason.c_str(), stderr);

#include <cmath>
#include <cstdio>

#include <fmt/format.h>

#include "strata/training/callback.hpp"

namespace strata {

class terminate_on_nan : public callback {
 public:
  void on_train_batch_end(training_control& control, int epoch, index step, const logs& batch_logs) override {
    const std::optional<double> loss = batch_logs.get("loss");
    if (!loss || std::isfinite(*loss)) return;
    control.stop_training(fmt::format("terminate_on_nan: the loss is {} at epoch {}, step {}; training stopped",
                                      *loss, epoch + 1, step + 1));
    std::fprintf(stderr, "%s\n", control.stop_reason().c_str());
  }
};

}  // namespace strata
