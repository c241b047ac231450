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
#include <array>
#include <filesystem>
#include <numeric>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "strata/core/error.hpp"
#include "strata/expr/node.hpp"
#include "strata/losses/loss.hpp"
#include "strata/models/model.hpp"
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
  /// With several outputs, the weight of each output's loss in the total (Keras' loss_weights):
  /// loss = Σ weight · loss of the output. Empty: 1 each.
  std::vector<double> loss_weights{};
};

struct evaluate_options {
  index batch_size = 32;
  std::vector<metric> metrics{};
  /// As fit_options::loss_weights.
  std::vector<double> loss_weights{};
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

template <class X>
struct is_data_tuple : std::false_type {};
template <class... X>
struct is_data_tuple<std::tuple<X...>> : std::true_type {};

/// The parts of a model's data, one per input or output, as a tuple of references: a tensor
/// alone, or a tuple of tensors (`std::tie(images, features)`).
template <class Data>
auto data_parts(const Data& data) {
  if constexpr (is_data_tuple<Data>::value) {
    return std::apply([](const auto&... part) { return std::tie(part...); }, data);
  } else {
    return std::tie(data);
  }
}

template <class Data>
constexpr std::size_t part_count = std::tuple_size_v<decltype(data_parts(std::declval<const Data&>()))>;

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

/// The same for every part of the data.
template <class Sources, class Batches>
void gather_all_rows(const Sources& sources, std::span<const index> rows, Batches& batches) {
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    (gather_rows(std::get<K>(sources), rows, std::get<K>(batches)), ...);
  }(std::make_index_sequence<std::tuple_size_v<Batches>>{});
}

/// The batch tensors of a model's inputs, and of data parts (targets).
template <class Model, class Indices = std::make_index_sequence<Model::input_count>>
struct input_batches;
template <class Model, std::size_t... K>
struct input_batches<Model, std::index_sequence<K...>> {
  using type = std::tuple<typename Model::template input_tensor_at<K>...>;
};
template <class Parts>
struct target_batches;
template <class... Y>
struct target_batches<std::tuple<Y...>> {
  using type = std::tuple<batch_t<Y>...>;
};

/// The model's inputs as forward takes them, from the batch tensors.
template <class Model, class Batches>
decltype(auto) as_inputs(const Batches& batches) {
  if constexpr (Model::input_count == 1) {
    return (std::get<0>(batches));  // the tensor itself, by reference
  } else {
    return std::apply([](const auto&... x) { return typename Model::input_tensors(x...); }, batches);
  }
}

template <class X>
void check_finite(const X& x, std::string_view what, std::string_view part) {
  if constexpr (scalar<typename X::scalar_type>) {
    for (index i = 0; i < x.size(); ++i)
      if (!std::isfinite(x.data()[i]))
        throw data_error(
            fmt::format("strata: {}: {} holds a non-finite value ({}) at flat index {}", what, part, x.data()[i], i));
  }
}

/// Checks a model's data: one part per input and output, every part with the same number of
/// samples, and no NaN or infinity.
template <class Model, class X, class Y>
void check_data(const X& x, const Y& y, std::string_view what) {
  const auto xs = data_parts(x);
  const auto ys = data_parts(y);
  static_assert(std::tuple_size_v<decltype(xs)> == Model::input_count,
                "strata: give one tensor of data per model input (a std::tuple of them for several)");
  static_assert(std::tuple_size_v<decltype(ys)> == Model::output_count,
                "strata: give one tensor of targets per model output (a std::tuple of them for several)");
  constexpr bool one_each = Model::input_count == 1 && Model::output_count == 1;
  const index samples = sample_count_of(std::get<0>(xs));
  auto check = [&](const auto& part, std::string_view name, std::size_t k, std::size_t count) {
    const std::string shown = count == 1 ? std::string(name) : fmt::format("{}[{}]", name, k);
    if (sample_count_of(part) != samples)
      throw shape_error(one_each ? fmt::format("strata: {}: x has {} samples (shape {}) but y has {} (shape {})", what,
                                               samples, format_dims(std::get<0>(xs).dims()), sample_count_of(part),
                                               format_dims(part.dims()))
                                 : fmt::format("strata: {}: x[0] has {} samples (shape {}) but {} has {} (shape {})",
                                               what, samples, format_dims(std::get<0>(xs).dims()), shown,
                                               sample_count_of(part), format_dims(part.dims())));
    check_finite(part, what, shown);
  };
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    (check(std::get<K>(ys), "y", K, sizeof...(K)), ...);
  }(std::make_index_sequence<Model::output_count>{});
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    (check(std::get<K>(xs), "x", K, sizeof...(K)), ...);
  }(std::make_index_sequence<Model::input_count>{});
}

/// What is logged besides the total loss: each output's metrics and, with several outputs, each
/// output's loss, under Keras' names ("accuracy"; "dense_1_loss", "dense_1_accuracy"). The names
/// are made once, so that a training step allocates nothing for its logs.
template <class Model>
struct output_logs {
  static constexpr std::size_t outputs = Model::output_count;
  std::array<running_mean, outputs> losses{};
  std::array<std::vector<metric>, outputs> metrics{};
  std::array<expression_cache, outputs> caches{};

  output_logs(const Model& model, const std::vector<metric>& chosen, std::string_view prefix) {
    metrics.fill(chosen);
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (name_output<K>(model, prefix), ...);
    }(std::make_index_sequence<outputs>{});
  }

  void reset() {
    for (auto& l : losses) l.reset();
    for (auto& m : metrics)
      for (metric& each : m) each.reset();
  }
  void write(logs& out) const {
    for (std::size_t k = 0; k < outputs; ++k) {
      if (outputs > 1) out.set(loss_names[k], losses[k].result());
      for (std::size_t i = 0; i < metrics[k].size(); ++i) out.set(metric_names[k][i], metrics[k][i].result());
    }
  }

 private:
  template <std::size_t K>
  void name_output(const Model& model, std::string_view prefix) {
    const std::string output = outputs == 1 ? std::string() : model.template output_name<K>() + "_";
    loss_names[K] = fmt::format("{}{}loss", prefix, output);
    for (const metric& m : metrics[K]) metric_names[K].push_back(fmt::format("{}{}{}", prefix, output, m.name()));
  }

  std::array<std::string, outputs> loss_names{};
  std::array<std::vector<std::string>, outputs> metric_names{};
};

template <class Prediction, class Target>
void update_metrics(std::vector<metric>& metrics, const Prediction& y_pred, const Target& y_true) {
  for (metric& m : metrics) m.update(y_pred, y_true);
}

/// The loss of a batch: the loss of the one output, or Σ weight · loss over the outputs. Each
/// output's metrics, and with several outputs each output's loss, are updated on the way.
template <class Model, class Loss, class Targets>
auto batch_loss(const Loss& loss, const Targets& targets, const std::vector<double>& weights,
                output_logs<Model>& per_output, double samples) {
  if constexpr (requires { loss.each; })
    static_assert(std::tuple_size_v<decltype(loss.each)> == Model::output_count,
                  "strata: give strata::losses(...) one loss per model output, in the order of the outputs");
  return [&loss, &targets, &weights, &per_output, samples](const auto&... y_pred) {
    const auto predictions = std::tie(y_pred...);
    return [&]<std::size_t... K>(std::index_sequence<K...>) {
      ((update_metrics(per_output.metrics[K], std::get<K>(predictions), std::get<K>(targets))), ...);
      if constexpr (sizeof...(K) == 1) {
        return loss_of_output<0>(loss)(std::get<0>(predictions), std::get<0>(targets));
      } else {
        using T = typename Model::scalar_type;
        ((per_output.losses[K].add(double(strata::loss::value_of(per_output.caches[K].keep(
                                       loss_of_output<K>(loss)(std::get<K>(predictions), std::get<K>(targets))))),
                                   samples)),
         ...);
        return ((T(weights.empty() ? 1.0 : weights[K]) *
                 loss_of_output<K>(loss)(std::get<K>(predictions), std::get<K>(targets))) +
                ...);
      }
    }(std::make_index_sequence<sizeof...(y_pred)>{});
  };
}


template <class Model>
void check_loss_weights(const std::vector<double>& weights) {
  if (!weights.empty() && (weights.size() != Model::output_count || Model::output_count == 1))
    throw std::invalid_argument(fmt::format("strata: loss_weights needs one weight per output of a model with several "
                                            "outputs; this model has {} output{}, {} weight{} given",
                                            Model::output_count, Model::output_count == 1 ? "" : "s", weights.size(),
                                            weights.size() == 1 ? " was" : "s were"));
}

/// Mean loss of `model` on the samples `rows` of x and y, in inference mode; each output's loss
/// and metrics go to `per_output`.
template <class Model, class X, class Y, class Loss>
double evaluate_rows(Model& model, const X& x, const Y& y, const Loss& loss, std::span<const index> rows,
                     index batch_size, const std::vector<double>& weights, output_logs<Model>& per_output) {
  const auto xs = data_parts(x);
  const auto ys = data_parts(y);
  typename input_batches<Model>::type x_batch;
  typename target_batches<std::remove_cvref_t<decltype(ys)>>::type y_batch;
  running_mean mean_loss;
  detail::expression_cache loss_expression;
  per_output.reset();
  for (std::size_t first = 0; first < rows.size(); first += std::size_t(batch_size)) {
    const auto batch_rows = rows.subspan(first, std::min(rows.size() - first, std::size_t(batch_size)));
    gather_all_rows(xs, batch_rows, x_batch);
    gather_all_rows(ys, batch_rows, y_batch);
    const auto compute = batch_loss<Model>(loss, y_batch, weights, per_output, double(batch_rows.size()));
    const auto& outputs = model.forward(as_inputs<Model>(x_batch), {.training = false});
    if constexpr (Model::output_count == 1) {
      mean_loss.add(double(strata::loss::value_of(loss_expression.keep(compute(outputs)))), double(batch_rows.size()));
    } else {
      mean_loss.add(double(strata::loss::value_of(loss_expression.keep(std::apply(compute, outputs)))),
                    double(batch_rows.size()));
    }
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
  static_assert(strata::model<Model>, "strata: fit needs a model (strata::Model, Sequential; see models/model.hpp)");
  check_data<Model>(x, y, "fit");
  check_loss_weights<Model>(options.loss_weights);
  if (options.epochs < 0 || options.batch_size <= 0)
    throw std::invalid_argument(fmt::format("strata: fit needs epochs >= 0 and batch_size > 0, found {} and {}",
                                            options.epochs, options.batch_size));
  if (!(options.validation_split >= 0 && options.validation_split < 1))
    throw std::invalid_argument(
        fmt::format("strata: fit: validation_split must be in [0, 1), found {}", options.validation_split));
  if (options.threads > 0) set_threads(options.threads);

  // Keras holds out the last samples, before any shuffling; validation data given apart
  // overrides the split, as in Keras.
  const auto xs = data_parts(x);
  const auto ys = data_parts(y);
  const index samples = sample_count_of(std::get<0>(xs));
  const double split = x_validation != nullptr ? 0.0 : options.validation_split;
  const index training_count = index(std::floor(double(samples) * (1 - split)));
  if (training_count == 0) throw std::invalid_argument("strata: fit: no training samples left after the validation split");
  std::vector<index> order(static_cast<std::size_t>(training_count));
  std::vector<index> validation_rows(static_cast<std::size_t>(samples - training_count));
  std::iota(order.begin(), order.end(), index(0));
  std::iota(validation_rows.begin(), validation_rows.end(), training_count);
  const bool validating = x_validation != nullptr || !validation_rows.empty();
  if (x_validation != nullptr) {  // every sample of the separate set, indexed once for all epochs
    check_data<Model>(*x_validation, *y_validation, "fit (validation data)");
    validation_rows.resize(static_cast<std::size_t>(sample_count_of(std::get<0>(data_parts(*x_validation)))));
    std::iota(validation_rows.begin(), validation_rows.end(), index(0));
  }

  model_control<Model, Optimizer> control(model, optimizer);
  const index steps = (training_count + options.batch_size - 1) / options.batch_size;
  control.epochs = options.epochs;
  control.steps_per_epoch = steps;
  progress_bar progress(options.output, options.verbose, options.epochs);
  output_logs<Model> per_output(model, options.metrics, ""), validation_per_output(model, options.metrics, "val_");
  std::mt19937_64 shuffler(options.seed);
  typename input_batches<Model>::type x_batch;
  typename target_batches<std::remove_cvref_t<decltype(ys)>>::type y_batch;
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
    per_output.reset();
    index step = 0;
    for (; step < steps && !control.stop_requested(); ++step) {
      const auto rows = std::span<const index>(order).subspan(
          std::size_t(step * options.batch_size),
          std::size_t(std::min(options.batch_size, training_count - step * options.batch_size)));
      gather_all_rows(xs, rows, x_batch);
      gather_all_rows(ys, rows, y_batch);
      model.zero_gradients();
      const auto value = model.backward(
          as_inputs<Model>(x_batch), batch_loss<Model>(loss, y_batch, options.loss_weights, per_output, double(rows.size())));
      optimizer.step(model);
      mean_loss.add(double(value), double(rows.size()));
      running.set("loss", mean_loss.result());
      per_output.write(running);
      for (callback* c : options.callbacks) c->on_train_batch_end(control, epoch, step, running);
      progress.update(step, running);
    }
    const double train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count();

    epoch_logs = running;
    if (validating) {
      double validation_loss = 0;
      if (x_validation != nullptr) {
        validation_loss = evaluate_rows(model, *x_validation, *y_validation, loss, validation_rows, options.batch_size,
                                        options.loss_weights, validation_per_output);
      } else {
        validation_loss = evaluate_rows(model, x, y, loss, validation_rows, options.batch_size, options.loss_weights,
                                        validation_per_output);
      }
      epoch_logs.set("val_loss", validation_loss);
      validation_per_output.write(epoch_logs);
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
  static_assert(strata::model<Model>, "strata: evaluate needs a model (strata::Model, Sequential; see models/model.hpp)");
  detail::check_data<Model>(x, y, "evaluate");
  detail::check_loss_weights<Model>(options.loss_weights);
  if (options.batch_size <= 0)
    throw std::invalid_argument(fmt::format("strata: evaluate needs batch_size > 0, found {}", options.batch_size));
  std::vector<index> rows(std::size_t(detail::sample_count_of(std::get<0>(detail::data_parts(x)))));
  std::iota(rows.begin(), rows.end(), index(0));
  logs result;
  detail::output_logs<Model> per_output(model, options.metrics, "");
  result.set("loss", detail::evaluate_rows(model, x, y, loss, rows, options.batch_size, options.loss_weights, per_output));
  per_output.write(result);
  return result;
}

/// The outputs of `model` for every sample of x (a tensor, or a tuple of them for several inputs),
/// computed `batch_size` samples at a time: a tensor, or a tuple of them for several outputs.
template <class Model, class X>
auto predict(Model& model, const X& x, index batch_size = 32) {
  static_assert(strata::model<Model>, "strata: predict needs a model (strata::Model, Sequential; see models/model.hpp)");
  if (batch_size <= 0) throw std::invalid_argument(fmt::format("strata: predict needs batch_size > 0, found {}", batch_size));
  const auto xs = detail::data_parts(x);
  const index samples = detail::sample_count_of(std::get<0>(xs));
  auto results = [&]<std::size_t... K>(std::index_sequence<K...>) {
    return std::tuple<typename Model::template output_tensor_at<K>...>{};
  }(std::make_index_sequence<Model::output_count>{});
  typename detail::input_batches<Model>::type x_batch;
  std::vector<index> rows;
  for (index first = 0; first < samples; first += batch_size) {
    rows.resize(std::size_t(std::min(batch_size, samples - first)));
    std::iota(rows.begin(), rows.end(), first);
    detail::gather_all_rows(xs, rows, x_batch);
    const auto& outputs = model.forward(detail::as_inputs<Model>(x_batch), {.training = false});
    auto keep = [&](auto& result, const auto& y) {
      if (first == 0) {
        auto dims = y.dims();
        dims[0] = samples;
        result.resize(dims);
      }
      std::copy_n(y.data(), y.size(), result.data() + first * (y.size() / index(rows.size())));
    };
    if constexpr (Model::output_count == 1) {
      keep(std::get<0>(results), outputs);
    } else {
      [&]<std::size_t... K>(std::index_sequence<K...>) {
        (keep(std::get<K>(results), std::get<K>(outputs)), ...);
      }(std::make_index_sequence<Model::output_count>{});
    }
  }
  if constexpr (Model::output_count == 1) {
    return std::move(std::get<0>(results));
  } else {
    return results;
  }
}

}  // namespace strata
