// Callbacks: early stopping (patience, baseline, restore_best_weights) against a scripted run and
// through fit, the CSV logger's file, terminate-on-NaN, and model checkpoints.

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/strata_test.hpp"

namespace st = strata;
using Catch::Detail::Approx;
using Catch::Matchers::Contains;
using points = st::tensor<float, st::shape<st::dyn, 2>>;
using column = st::tensor<float, st::shape<st::dyn, 1>>;

namespace {

/// A training run without a model: its "weights" are the epoch they were taken at.
struct scripted_control : st::training_control {
  double current_epoch = 0;
  std::vector<double> restored;
  [[nodiscard]] st::weight_snapshot snapshot() const override { return {{current_epoch}}; }
  void restore(const st::weight_snapshot& weights) override { restored = weights.front(); }
  void save_checkpoint(const std::filesystem::path&) const override {}
};

/// Feeds `values` of `monitor` to `callback` as epochs 0, 1, ...; returns the epochs that ran.
int run_script(st::callback& callback, scripted_control& control, const std::vector<double>& values,
               const std::string& monitor = "val_loss") {
  callback.on_train_begin(control);
  int epoch = 0;
  for (; epoch < int(values.size()) && !control.stop_requested(); ++epoch) {
    control.current_epoch = epoch;
    st::logs logs;
    logs.set(monitor, values[std::size_t(epoch)]);
    callback.on_epoch_end(control, epoch, logs);
  }
  callback.on_train_end(control, {});
  return epoch;
}

std::filesystem::path scratch(const std::string& name) {
  const auto directory = std::filesystem::temp_directory_path() / "strata_callbacks_test";
  std::filesystem::create_directories(directory);
  return directory / name;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

auto xor_model() {
  return st::Sequential(st::Input<st::dyn, 2>{}, st::Dense<4>{.activation = "tanh"},
                        st::Dense<1>{.activation = "sigmoid"});
}
const points xor_x{{0, 0}, {0, 1}, {1, 0}, {1, 1}};
const column xor_y{{0}, {1}, {1}, {0}};

}  // namespace

TEST_CASE("early stopping waits `patience` epochs without improvement", "[callbacks][early_stopping]") {
  scripted_control control;
  SECTION("stops after two epochs without a new best, and restores the best epoch's weights") {
    st::early_stopping stopper({.patience = 2, .restore_best_weights = true});
    CHECK(run_script(stopper, control, {1.0, 0.5, 0.6, 0.7, 0.4, 0.3}) == 4);
    CHECK(stopper.stopped_epoch() == 3);
    CHECK(stopper.best_epoch() == 1);
    CHECK(stopper.best() == 0.5);
    CHECK(control.restored == std::vector<double>{1.0});
    CHECK_THAT(control.stop_reason(), Contains("val_loss did not improve for 2 epochs"));
  }
  SECTION("min_delta: an improvement smaller than it does not count, whatever its sign") {
    st::early_stopping stopper({.min_delta = 0.1, .patience = 1});
    CHECK(run_script(stopper, control, {1.0, 0.95, 0.5, 0.45}) == 2);
    scripted_control again;
    st::early_stopping negative({.min_delta = -0.1, .patience = 1});
    CHECK(run_script(negative, again, {1.0, 0.95, 0.5, 0.45}) == 2);
  }
  SECTION("auto mode maximises an accuracy") {
    st::early_stopping stopper({.monitor = "val_accuracy", .patience = 1});
    CHECK(run_script(stopper, control, {0.1, 0.2, 0.3, 0.2, 0.5}, "val_accuracy") == 4);
    CHECK(stopper.best() == 0.3);
  }
  SECTION("mode max on a loss") {
    st::early_stopping stopper({.patience = 1, .mode = "max"});
    CHECK(run_script(stopper, control, {0.1, 0.2, 0.3, 0.2, 0.5}) == 4);
  }
  SECTION("a best value that misses the baseline does not reset the wait (as Keras)") {
    st::early_stopping with_baseline({.patience = 2, .baseline = 0.2});
    CHECK(run_script(with_baseline, control, {1.0, 1.1, 1.2, 1.3}) == 2);
    scripted_control fresh;
    st::early_stopping without({.patience = 2});
    CHECK(run_script(without, fresh, {1.0, 1.1, 1.2, 1.3}) == 3);
  }
  SECTION("without restore_best_weights nothing is restored") {
    st::early_stopping stopper({.patience = 1});
    run_script(stopper, control, {1.0, 2.0, 3.0});
    CHECK(control.restored.empty());
  }
  SECTION("a monitored name missing from the logs is an error listing the names, after the warm-up") {
    st::early_stopping stopper({.monitor = "val_accuracy"});
    CHECK_THROWS_WITH(run_script(stopper, control, {1.0}), Contains("'val_accuracy'") && Contains("val_loss"));
    scripted_control warm;
    st::early_stopping warming({.monitor = "val_accuracy", .start_from_epoch = 2});
    CHECK(run_script(warming, warm, {1.0, 1.0}) == 2);
  }
}

TEST_CASE("early stopping through fit restores the best weights", "[callbacks][early_stopping]") {
  auto model = xor_model();
  // Records the model's output after each epoch, to compare with the output after the restore.
  struct recorder : st::callback {
    decltype(model)* watched;
    std::vector<float> outputs;
    void on_epoch_end(st::training_control&, int, const st::logs&) override {
      outputs.push_back((*watched)(xor_x)(0, 0));
    }
  } record;
  record.watched = &model;
  // Every epoch after the first counts as no improvement (min_delta is huge): stop at epoch 2.
  st::early_stopping stopper({.monitor = "loss", .min_delta = 100, .patience = 2, .restore_best_weights = true});
  const auto history = model.fit(xor_x, xor_y, st::loss::mean_squared_error{}, st::optim::adam{.learning_rate = 0.1},
                                 {.epochs = 10, .batch_size = 4, .callbacks = {&record, &stopper},
                                  .verbose = st::verbosity::silent});
  CHECK(history.epochs.size() == 3);
  CHECK_THAT(history.stop_reason, Contains("early stopping"));
  REQUIRE(record.outputs.size() == 3);
  // Only the first epoch improves (on infinity), so its weights come back.
  CHECK(model(xor_x)(0, 0) == record.outputs[0]);
  CHECK(record.outputs[2] != record.outputs[0]);
}

TEST_CASE("the CSV logger writes one row per epoch", "[callbacks][csv_logger]") {
  const auto path = scratch("log.csv");
  auto model = xor_model();
  st::csv_logger logger(path);
  const auto history = model.fit(xor_x, xor_y, st::loss::binary_crossentropy{}, st::optim::sgd{.learning_rate = 0.1},
                                 {.epochs = 3, .batch_size = 2, .validation_split = 0.5, .metrics = {"accuracy"},
                                  .callbacks = {&logger}, .verbose = st::verbosity::silent});
  std::istringstream lines(read_text(path));
  std::string line;
  std::getline(lines, line);
  CHECK(line == "epoch,accuracy,loss,val_accuracy,val_loss");  // sorted, as Keras writes them
  for (int epoch = 0; epoch < 3; ++epoch) {
    REQUIRE(std::getline(lines, line));
    CHECK(line == fmt::format("{},{},{},{},{}", epoch, history["accuracy"][std::size_t(epoch)],
                              history["loss"][std::size_t(epoch)], history["val_accuracy"][std::size_t(epoch)],
                              history["val_loss"][std::size_t(epoch)]));
  }
  CHECK_FALSE(std::getline(lines, line));

  SECTION("append adds rows under the existing header") {
    st::csv_logger appending(path, ',', true);
    model.fit(xor_x, xor_y, st::loss::binary_crossentropy{}, st::optim::sgd{.learning_rate = 0.1},
              {.epochs = 1, .batch_size = 2, .validation_split = 0.5, .metrics = {"accuracy"}, .callbacks = {&appending},
               .verbose = st::verbosity::silent});
    const std::string text = read_text(path);
    CHECK(std::count(text.begin(), text.end(), '\n') == 5);
    CHECK(text.find("epoch,", 1) == std::string::npos);
  }
  SECTION("an unwritable path is an error naming it") {
    st::csv_logger bad(scratch("missing-directory") / "log.csv");
    CHECK_THROWS_WITH(model.fit(xor_x, xor_y, st::loss::binary_crossentropy{}, st::optim::sgd{},
                                {.callbacks = {&bad}, .verbose = st::verbosity::silent}),
                      Contains("missing-directory/log.csv"));
  }
}

TEST_CASE("terminate_on_nan stops at the first non-finite loss, naming the epoch and step", "[callbacks][nan]") {
  auto model = st::Sequential(st::Input<st::dyn, 2>{}, st::Dense<1>{});
  const points x = points::random_uniform({64, 2}, 3, 1, 2);
  const column y = column::random_uniform({64, 1}, 4, 1, 2);
  st::terminate_on_nan guard;
  std::int64_t steps = 0;
  struct step_counter : st::callback {
    std::int64_t* count;
    void on_train_batch_end(st::training_control&, int, st::index, const st::logs&) override { ++*count; }
  } counter;
  counter.count = &steps;
  // A learning rate of 1e30 overflows the weights within a few steps.
  const auto history = model.fit(x, y, st::loss::mean_squared_error{}, st::optim::sgd{.learning_rate = 1e30},
                                 {.epochs = 5, .batch_size = 4, .callbacks = {&guard, &counter},
                                  .verbose = st::verbosity::silent});
  CHECK_THAT(history.stop_reason, Contains("terminate_on_nan") && Contains("at epoch 1, step"));
  CHECK(steps < 16);  // stopped inside the first epoch
  CHECK(history.epochs.size() == 1);
  CHECK_FALSE(std::isfinite(history["loss"][0]));

  SECTION("a checkpoint callback skips the epoch instead of saving non-finite weights") {
    auto diverging = st::Sequential(st::Input<st::dyn, 2>{}, st::Dense<1>{});
    const auto path = scratch("diverged.ckpt");
    std::filesystem::remove(path);
    st::terminate_on_nan stop;
    st::model_checkpoint saver({.path = path.string(), .monitor = "loss"});
    diverging.fit(x, y, st::loss::mean_squared_error{}, st::optim::sgd{.learning_rate = 1e30},
                  {.epochs = 2, .batch_size = 4, .callbacks = {&stop, &saver}, .verbose = st::verbosity::silent});
    CHECK_FALSE(std::filesystem::exists(path));
    CHECK_THROWS_WITH(st::save_checkpoint(path, diverging), Contains("non-finite") && Contains("dense/kernel"));
  }
}

TEST_CASE("model_checkpoint saves the best epochs to paths made from the logs", "[callbacks][model_checkpoint]") {
  const auto directory = scratch("checkpoints");
  std::filesystem::remove_all(directory);
  auto model = xor_model();
  st::model_checkpoint saver({.path = (directory / "epoch{epoch:02d}.ckpt").string(), .monitor = "loss",
                              .save_best_only = true});
  const auto history = model.fit(xor_x, xor_y, st::loss::mean_squared_error{}, st::optim::adam{.learning_rate = 0.05},
                                 {.epochs = 5, .batch_size = 4, .callbacks = {&saver}, .verbose = st::verbosity::silent});
  // Exactly the epochs that improved on the best loss so far are saved.
  double best = std::numeric_limits<double>::infinity();
  int last_best = 0;
  for (int epoch = 1; epoch <= 5; ++epoch) {
    const bool improved = history["loss"][std::size_t(epoch - 1)] < best;
    CHECK(std::filesystem::exists(directory / fmt::format("epoch{:02d}.ckpt", epoch)) == improved);
    if (improved) {
      best = history["loss"][std::size_t(epoch - 1)];
      last_best = epoch;
    }
  }
  CHECK(saver.last_saved() == directory / fmt::format("epoch{:02d}.ckpt", last_best));

  auto restored = xor_model();
  restored.initialize(99);
  const float before = restored(xor_x)(2, 0);
  st::load_checkpoint(saver.last_saved(), restored);
  CHECK(restored(xor_x)(2, 0) != before);
  if (last_best == 5) CHECK(restored(xor_x)(2, 0) == model(xor_x)(2, 0));

  st::model_checkpoint bad_pattern({.path = (directory / "{nope}.ckpt").string(), .monitor = "loss"});
  CHECK_THROWS_WITH(model.fit(xor_x, xor_y, st::loss::mean_squared_error{}, st::optim::adam{},
                              {.callbacks = {&bad_pattern}, .verbose = st::verbosity::silent}),
                    Contains("{nope}.ckpt") && Contains("fields: epoch, loss"));
}
