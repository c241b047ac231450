#pragma once
/// \file Training and evaluation loops, as Keras' fit, evaluate and predict.
///
///     strata::history history = model.fit(x_train, y_train,
///         strata::loss::sparse_categorical_crossentropy{.from_logits = true},
///         strata::optim::adam{.learning_rate = 1e-3},
///         {.epochs = 10, .batch_size = 128, .validation_split = 0.1, .metrics = {"accuracy"}});
///     strata::logs test = model.evaluate(x_test, y_test, loss, {.metrics = {"accuracy"}});
///     auto probabilities = strata::predict(model, x_test, 256);
///
/// fit runs epochs of mini-batches (shuffled every epoch from `seed`; the last batch may be
/// smaller), one backward pass and one optimizer step per batch, then validation, callbacks and
/// the progress display. Validation data is either the last `validation_split` of x and y (taken
/// before shuffling, as Keras) or a separate set, which then overrides the split. Passing an optimizer object (strata::optimizer)
/// keeps its state across fit calls; passing a rule's config (optim::adam{...}) starts afresh.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "strata/core/error.hpp"
#include "strata/expr/node.hpp"
#include "strata/losses/loss.hpp"
#include "strata/optimizers/optimizer.hpp"
#include "strata/tensor/format.hpp"
#include "strata/tensor/tensor.hpp"
#include "strata/training/callback.hpp"
#include "strata/training/checkpoint.hpp"
#include "strata/training/logs.hpp"
#include "strata/training/metrics.hpp"
#include "strata/training/progress.hpp"
#include "strata/training/threads.hpp"

namespace strata {

struct fit_options {
  int epochs = 1;
  index batch_size = 32;
  /// Reshuffle the training samples before every epoch.
  bool shuffle = true;
  /// Seed of the shuffling (the same seed gives the same batches).
  std::uint64_t seed = 0;
  /// The fraction of samples, taken from the end, held out for validation.
  double validation_split = 0;
  std::vector<metric> metrics{};
  std::vector<callback*> callbacks{};
  verbosity verbose = verbosity::automatic;
  /// The epoch to start at (to resume an earlier run; epochs counts to `epochs` in all).
  int initial_epoch = 0;
  /// Threads for matrix products (0: leave the current setting).
  int threads = 0;
  std::FILE* output = stdout;
};

struct evaluate_options {
  index batch_size = 32;
  std::vector<metric> metrics{};
};

/// Validation data given apart from the training data (Keras' validation_data).
template <class X, class Y>
struct validation_data {
  const X& x;
  const Y& y;
};

namespace detail {

/// The tensor that holds one batch of `Data`: its type with a `dyn` leading extent, so that a
/// last batch smaller than the others fits whatever the data's own first extent.
template <class Data>
struct batch_of;
template <element E, shape_type S>
struct batch_of<tensor<E, S>> {
  static constexpr auto dims = [] {
    auto result = S::dims;
    result[0] = dyn;
    return result;
  }();
  using type = tensor<E, shape_from<dims>>;
};
template <class Data>
using batch_t = typename batch_of<std::remove_cvref_t<Data>>::type;

template <class X>
index sample_count_of(const X& x) {
  static_assert(std::remove_cvref_t<X>::rank >= 1, "strata: training data needs a leading sample axis");
  return x.dims()[0];
}

/// Copies the samples `rows` of `source` (first axis) into `batch`, resizing it when needed.
template <class Source, class Batch>
void gather_rows(const Source& source, std::span<const index> rows, Batch& batch) {
  static_assert(Source::rank == Batch::rank, "strata: the data's rank differs from the model's input rank");
  auto dims = batch.dims();
  for (std::size_t axis = 0; axis < dims.size(); ++axis) dims[axis] = source.dims()[axis];
  dims[0] = index(rows.size());
  if (batch.dims() != dims) batch.resize(dims);  // checks static extents; allocates only on change
  const index row_size = rows.empty() ? 0 : batch.size() / index(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i)
    std::copy_n(source.data() + rows[i] * row_size, row_size, batch.data() + index(i) * row_size);
}

template <class X, class Y>
void check_data(const X& x, const Y& y, std::string_view what) {
  if (sample_count_of(x) != sample_count_of(y))
    throw shape_error(fmt::format("strata: {}: x has {} samples (shape {}) but y has {} (shape {})", what,
                                  sample_count_of(x), format_dims(x.dims()), sample_count_of(y), format_dims(y.dims())));
  if constexpr (scalar<typename Y::scalar_type>) {
    for (index i = 0; i < y.size(); ++i)
      if (!std::isfinite(y.data()[i]))
        throw data_error(fmt::format("strata: {}: y holds a non-finite value ({}) at flat index {}", what, y.data()[i], i));
  }
  if constexpr (scalar<typename X::scalar_type>) {
    for (index i = 0; i < x.size(); ++i)
      if (!std::isfinite(x.data()[i]))
        throw data_error(fmt::format("strata: {}: x holds a non-finite value ({}) at flat index {}", what, x.data()[i], i));
  }
}

/// Mean loss and metrics of `model` on the samples `rows` of x and y, in inference mode.
template <class Model, class X, class Y, class Loss>
double evaluate_rows(Model& model, const X& x, const Y& y, const Loss& loss, std::span<const index> rows,
                     index batch_size, std::vector<metric>& metrics) {
  typename Model::input_tensor x_batch;
  batch_t<Y> y_batch;
  running_mean mean_loss;
  detail::expression_cache loss_expression;
  for (metric& m : metrics) m.reset();
  for (std::size_t first = 0; first < rows.size(); first += std::size_t(batch_size)) {
    const auto batch_rows = rows.subspan(first, std::min(rows.size() - first, std::size_t(batch_size)));
    gather_rows(x, batch_rows, x_batch);
    gather_rows(y, batch_rows, y_batch);
    const auto& y_pred = model.forward(x_batch, {.training = false});
    mean_loss.add(double(strata::loss::value_of(loss_expression.keep(loss(y_pred, y_batch)))),
                  double(batch_rows.size()));
    for (metric& m : metrics) m.update(y_pred, y_batch);
  }
  return mean_loss.result();
}

/// What callbacks may do, for a model and its optimizer.
template <class Model, class Optimizer>
class model_control final : public training_control {
 public:
  model_control(Model& model, Optimizer& optimizer) : model_(model), optimizer_(optimizer) {}

  [[nodiscard]] weight_snapshot snapshot() const override {
    weight_snapshot weights;
    model_.for_each_variable([&](const std::string&, auto& value, bool) {
      weights.emplace_back(value.begin(), value.end());
    });
    return weights;
  }

  void restore(const weight_snapshot& weights) override {
    std::size_t position = 0;
    model_.for_each_variable([&](const std::string& name, auto& value, bool) {
      if (position >= weights.size() || index(weights[position].size()) != value.size())
        throw std::invalid_argument(fmt::format("strata: the snapshot does not fit the model at '{}'", name));
      using T = typename std::remove_cvref_t<decltype(value)>::scalar_type;
      std::transform(weights[position].begin(), weights[position].end(), value.begin(), [](double v) { return T(v); });
      ++position;
    });
  }

  void save_checkpoint(const std::filesystem::path& path) const override {
    strata::save_checkpoint(path, model_, optimizer_);
  }

 private:
  Model& model_;
  Optimizer& optimizer_;
};

template <class Model, class X, class Y, class Loss, class Optimizer, class ValidationX, class ValidationY>
history fit(Model& model, const X& x, const Y& y, const Loss& loss, Optimizer& optimizer, fit_options options,
            const ValidationX* x_validation, const ValidationY* y_validation) {
  check_data(x, y, "fit");
  if (options.epochs < 0 || options.batch_size <= 0)
    throw std::invalid_argument(fmt::format("strata: fit needs epochs >= 0 and batch_size > 0, found {} and {}",
                                            options.epochs, options.batch_size));
  if (!(options.validation_split >= 0 && options.validation_split < 1))
    throw std::invalid_argument(
        fmt::format("strata: fit: validation_split must be in [0, 1), found {}", options.validation_split));
  if (options.threads > 0) set_threads(options.threads);

  // Keras holds out the last samples, before any shuffling; validation data given apart
  // overrides the split, as in Keras.
  const index samples = sample_count_of(x);
  const double split = x_validation != nullptr ? 0.0 : options.validation_split;
  const index training_count = index(std::floor(double(samples) * (1 - split)));
  if (training_count == 0) throw std::invalid_argument("strata: fit: no training samples left after the validation split");
  std::vector<index> order(static_cast<std::size_t>(training_count));
  std::vector<index> validation_rows(static_cast<std::size_t>(samples - training_count));
  std::iota(order.begin(), order.end(), index(0));
  std::iota(validation_rows.begin(), validation_rows.end(), training_count);
  const bool validating = x_validation != nullptr || !validation_rows.empty();
  if (x_validation != nullptr) {  // every sample of the separate set, indexed once for all epochs
    check_data(*x_validation, *y_validation, "fit (validation data)");
    validation_rows.resize(static_cast<std::size_t>(sample_count_of(*x_validation)));
    std::iota(validation_rows.begin(), validation_rows.end(), index(0));
  }

  model_control<Model, Optimizer> control(model, optimizer);
  const index steps = (training_count + options.batch_size - 1) / options.batch_size;
  control.epochs = options.epochs;
  control.steps_per_epoch = steps;
  progress_bar progress(options.output, options.verbose, options.epochs);
  std::vector<metric> metrics = options.metrics, validation_metrics = options.metrics;
  std::mt19937_64 shuffler(options.seed);
  typename Model::input_tensor x_batch;
  batch_t<Y> y_batch;
  running_mean mean_loss;
  logs running, epoch_logs;
  history result;

  for (callback* c : options.callbacks) c->on_train_begin(control);
  for (int epoch = options.initial_epoch; epoch < options.epochs && !control.stop_requested(); ++epoch) {
    const auto epoch_start = std::chrono::steady_clock::now();
    for (callback* c : options.callbacks) c->on_epoch_begin(control, epoch);
    if (options.shuffle) std::shuffle(order.begin(), order.end(), shuffler);
    progress.begin_epoch(epoch, steps);
    mean_loss.reset();
    for (metric& m : metrics) m.reset();
    index step = 0;
    for (; step < steps && !control.stop_requested(); ++step) {
      const auto rows = std::span<const index>(order).subspan(
          std::size_t(step * options.batch_size),
          std::size_t(std::min(options.batch_size, training_count - step * options.batch_size)));
      gather_rows(x, rows, x_batch);
      gather_rows(y, rows, y_batch);
      model.zero_gradients();
      const auto value = model.backward(x_batch, [&](const auto& y_pred) {
        for (metric& m : metrics) m.update(y_pred, y_batch);
        return loss(y_pred, y_batch);
      });
      optimizer.step(model);
      mean_loss.add(double(value), double(rows.size()));
      running.set("loss", mean_loss.result());
      for (const metric& m : metrics) running.set(m.name(), m.result());
      for (callback* c : options.callbacks) c->on_train_batch_end(control, epoch, step, running);
      progress.update(step, running);
    }
    const double train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count();

    epoch_logs = running;
    if (validating) {
      double validation_loss = 0;
      if (x_validation != nullptr) {
        validation_loss = evaluate_rows(model, *x_validation, *y_validation, loss, validation_rows, options.batch_size,
                                        validation_metrics);
      } else {
        validation_loss = evaluate_rows(model, x, y, loss, validation_rows, options.batch_size, validation_metrics);
      }
      epoch_logs.set("val_loss", validation_loss);
      for (const metric& m : validation_metrics) epoch_logs.set("val_" + m.name(), m.result());
    }
    progress.end_epoch(epoch_logs, step);
    const double epoch_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count();
    result.append(epoch, epoch_logs, train_seconds, epoch_seconds);
    for (callback* c : options.callbacks) c->on_epoch_end(control, epoch, epoch_logs);
  }
  for (callback* c : options.callbacks) c->on_train_end(control, epoch_logs);
  result.stop_reason = control.stop_reason();
  return result;
}

}  // namespace detail

/// Trains `model` on (x, y): see the file comment. `optimizer` is a strata::optimizer (kept and
/// updated) or an update rule's config (optim::adam{...}; a fresh optimizer for this call).
template <class Model, class X, class Y, class Loss, class Optimizer>
history fit(Model& model, const X& x, const Y& y, const Loss& loss, Optimizer&& optimizer, fit_options options = {}) {
  using plain = std::remove_cvref_t<Optimizer>;
  if constexpr (optim::update_rule<plain>) {
    strata::optimizer<plain, typename Model::scalar_type> owned(optimizer);
    return detail::fit<Model, X, Y, Loss, decltype(owned), X, Y>(model, x, y, loss, owned, std::move(options), nullptr,
                                                                nullptr);
  } else {
    return detail::fit<Model, X, Y, Loss, plain, X, Y>(model, x, y, loss, optimizer, std::move(options), nullptr, nullptr);
  }
}

/// As above, validating on separate data after every epoch.
template <class Model, class X, class Y, class Loss, class Optimizer, class VX, class VY>
history fit(Model& model, const X& x, const Y& y, const Loss& loss, Optimizer&& optimizer, fit_options options,
            validation_data<VX, VY> validation) {
  using plain = std::remove_cvref_t<Optimizer>;
  if constexpr (optim::update_rule<plain>) {
    strata::optimizer<plain, typename Model::scalar_type> owned(optimizer);
    return detail::fit(model, x, y, loss, owned, std::move(options), &validation.x, &validation.y);
  } else {
    return detail::fit(model, x, y, loss, optimizer, std::move(options), &validation.x, &validation.y);
  }
}

/// The mean loss and metrics of `model` on (x, y), in inference mode, batch by batch.
template <class Model, class X, class Y, class Loss>
logs evaluate(Model& model, const X& x, const Y& y, const Loss& loss, evaluate_options options = {}) {
  detail::check_data(x, y, "evaluate");
  if (options.batch_size <= 0)
    throw std::invalid_argument(fmt::format("strata: evaluate needs batch_size > 0, found {}", options.batch_size));
  std::vector<index> rows(std::size_t(detail::sample_count_of(x)));
  std::iota(rows.begin(), rows.end(), index(0));
  logs result;
  result.set("loss", detail::evaluate_rows(model, x, y, loss, rows, options.batch_size, options.metrics));
  for (const metric& m : options.metrics) result.set(m.name(), m.result());
  return result;
}

/// The outputs of `model` for every sample of x, computed `batch_size` samples at a time.
template <class Model, class X>
auto predict(Model& model, const X& x, index batch_size = 32) {
  if (batch_size <= 0) throw std::invalid_argument(fmt::format("strata: predict needs batch_size > 0, found {}", batch_size));
  const index samples = detail::sample_count_of(x);
  typename Model::output_tensor result;
  typename Model::input_tensor x_batch;
  std::vector<index> rows;
  for (index first = 0; first < samples; first += batch_size) {
    rows.resize(std::size_t(std::min(batch_size, samples - first)));
    std::iota(rows.begin(), rows.end(), first);
    detail::gather_rows(x, rows, x_batch);
    const auto& y = model.forward(x_batch, {.training = false});
    if (first == 0) {
      auto dims = y.dims();
      dims[0] = samples;
      result.resize(dims);
    }
    std::copy_n(y.data(), y.size(), result.data() + first * (y.size() / index(rows.size())));
  }
  return result;
}

}  // namespace strata
