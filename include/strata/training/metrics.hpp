#pragma once
/// \file Metrics reported during training and evaluation, chosen by Keras' names, and the running
/// mean that averages them over an epoch.
///
///     strata::metric accuracy("accuracy");     // resolved from the targets, as Keras does
///     accuracy.update(predictions, labels);    // after each batch
///     double value = accuracy.result();        // the mean over every sample seen since reset()
///
/// "accuracy" (or "acc") becomes, as in Keras 3, binary_accuracy (threshold 0.5) for a single
/// output column, sparse_categorical_accuracy for integer labels (one per sample), and
/// categorical_accuracy for one-hot targets. Metrics are not differentiated; they read the tensors.

#include <array>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "strata/core/error.hpp"
#include "strata/tensor/format.hpp"
#include "strata/tensor/tensor.hpp"

namespace strata {

/// A running, sample-weighted mean: the loss of an epoch so far.
class running_mean {
 public:
  void add(double value, double weight = 1) {
    total_ += value * weight;
    count_ += weight;
  }
  void reset() { total_ = count_ = 0; }
  [[nodiscard]] double result() const { return count_ > 0 ? total_ / count_ : 0.0; }
  [[nodiscard]] double count() const { return count_; }

 private:
  double total_ = 0, count_ = 0;
};

class metric {
 public:
  enum class kind {
    accuracy,  // resolved on the first update
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    mean_squared_error,
    mean_absolute_error,
  };

  metric(const char* name) : metric(std::string_view(name)) {}  // NOLINT: `.metrics = {"accuracy"}`
  metric(std::string_view name) : kind_(parse(name)), name_(name) {}  // NOLINT
  metric(kind k) : kind_(k), name_(names[static_cast<std::size_t>(k)]) {}  // NOLINT

  /// The name in logs and history: as the user wrote it ("accuracy", "acc", "mse").
  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] kind which() const { return kind_; }

  void reset() { mean_.reset(); }
  [[nodiscard]] double result() const { return mean_.result(); }

  /// Adds a batch: predictions (samples..., C) and targets of the same shape, or integer labels,
  /// one per sample (the predictions' shape without its last axis, or with a last axis of 1).
  template <scalar T, shape_type P, element E, shape_type Y>
  void update(const tensor<T, P>& y_pred, const tensor<E, Y>& y_true) {
    static_assert(P::rank >= 1, "strata: metrics need predictions of rank 1 or more");
    const index columns = y_pred.dim(-1);
    const index samples = columns > 0 ? y_pred.size() / columns : 0;
    const bool one_label_per_sample = !scalar<E> && y_true.size() == samples;
    if (kind_ == kind::accuracy)  // Keras 3's order: one column is binary, then labels, then one-hot
      kind_ = columns == 1 ? kind::binary_accuracy
                           : (one_label_per_sample ? kind::sparse_categorical_accuracy : kind::categorical_accuracy);
    const T* p = y_pred.data();
    const E* t = y_true.data();
    if (kind_ == kind::sparse_categorical_accuracy) {
      if (!one_label_per_sample)
        throw shape_error(fmt::format("strata: metric '{}' needs one integer label per sample ({}), found targets of "
                                      "shape {}{}",
                                      name_, samples, format_dims(y_true.dims()), scalar<E> ? " (not integers)" : ""));
      index correct = 0;
      for (index i = 0; i < samples; ++i) correct += argmax(p + i * columns, columns) == index(t[i]);
      mean_.add(samples > 0 ? double(correct) / double(samples) : 0.0, double(samples));
      return;
    }
    if (y_pred.size() != y_true.size())
      throw shape_error(fmt::format("strata: metric '{}': targets of shape {} do not match predictions of shape {}",
                                    name_, format_dims(y_true.dims()), format_dims(y_pred.dims())));
    double total = 0;
    switch (kind_) {
      case kind::categorical_accuracy:
        for (index i = 0; i < samples; ++i) total += argmax(p + i * columns, columns) == argmax(t + i * columns, columns);
        mean_.add(samples > 0 ? total / double(samples) : 0.0, double(samples));
        return;
      case kind::binary_accuracy:
        for (index i = 0; i < y_pred.size(); ++i) total += (p[i] > T(0.5)) == (double(t[i]) > 0.5);
        break;
      case kind::mean_squared_error:
        for (index i = 0; i < y_pred.size(); ++i) total += std::pow(double(p[i]) - double(t[i]), 2);
        break;
      default:  // mean_absolute_error
        for (index i = 0; i < y_pred.size(); ++i) total += std::abs(double(p[i]) - double(t[i]));
        break;
    }
    mean_.add(y_pred.size() > 0 ? total / double(y_pred.size()) : 0.0, double(y_pred.size()));
  }

 private:
  static constexpr std::array<std::string_view, 6> names{"accuracy",
                                                         "binary_accuracy",
                                                         "categorical_accuracy",
                                                         "sparse_categorical_accuracy",
                                                         "mean_squared_error",
                                                         "mean_absolute_error"};

  static kind parse(std::string_view name) {
    for (std::size_t i = 0; i < names.size(); ++i)
      if (names[i] == name) return static_cast<kind>(i);
    if (name == "acc") return kind::accuracy;
    if (name == "mse") return kind::mean_squared_error;
    if (name == "mae") return kind::mean_absolute_error;
    throw std::invalid_argument(fmt::format("strata: unknown metric '{}'; known: {}, acc, mse, mae", name,
                                            fmt::join(names.begin(), names.end(), ", ")));
  }

  template <class V>
  static index argmax(const V* values, index count) {
    index best = 0;
    for (index i = 1; i < count; ++i)
      if (values[i] > values[best]) best = i;
    return best;
  }

  kind kind_;
  std::string name_;
  running_mean mean_;
};

}  // namespace strata
