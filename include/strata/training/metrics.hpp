#pragma once
/// \file Metrics reported during training and evaluation, chosen by Keras' names, and the running
/// mean that averages them over an epoch.
///
///     strata::metric accuracy("accuracy");     // resolved from the targets, as Keras does
///     accuracy.update(predictions, labels);    // after each batch
///     double value = accuracy.result();        // the mean over every sample seen since reset()
///
/// "accuracy" (or "acc") becomes sparse_categorical_accuracy for integer labels,
/// categorical_accuracy for one-hot targets with more than one column, and binary_accuracy
/// (threshold 0.5) for a single column. Metrics are not differentiated; they read the tensors.

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

  /// Adds a batch: predictions (samples..., C) and targets of the same shape, or integer labels
  /// of the predictions' shape without its last axis.
  template <scalar T, shape_type P, element E, shape_type Y>
  void update(const tensor<T, P>& y_pred, const tensor<E, Y>& y_true) {
    static_assert(P::rank >= 1, "strata: metrics need predictions of rank 1 or more");
    constexpr bool sparse = !scalar<E> && Y::rank + 1 == P::rank;
    const index columns = y_pred.dim(-1);
    const index samples = columns > 0 ? y_pred.size() / columns : 0;
    if (kind_ == kind::accuracy)
      kind_ = sparse ? kind::sparse_categorical_accuracy
                     : (columns > 1 ? kind::categorical_accuracy : kind::binary_accuracy);
    if (kind_ == kind::sparse_categorical_accuracy) {
      if constexpr (sparse) {
        check_leading(y_pred.dims(), y_true.dims());
        index correct = 0;
        for (index i = 0; i < samples; ++i)
          correct += argmax(y_pred.data() + i * columns, columns) == index(y_true.data()[i]);
        mean_.add(samples > 0 ? double(correct) / double(samples) : 0.0, double(samples));
      } else {
        throw std::invalid_argument(fmt::format("strata: metric '{}' needs integer labels, one per sample", name_));
      }
      return;
    }
    if constexpr (sparse) {
      throw std::invalid_argument(
          fmt::format("strata: metric '{}' needs targets shaped like the predictions, found integer labels", name_));
    } else {
      if (y_pred.size() != y_true.size())
        throw shape_error(fmt::format("strata: metric '{}': targets of shape {} do not match predictions of shape {}",
                                      name_, format_dims(y_true.dims()), format_dims(y_pred.dims())));
      const T* p = y_pred.data();
      const E* t = y_true.data();
      double total = 0;
      switch (kind_) {
        case kind::categorical_accuracy:
          for (index i = 0; i < samples; ++i)
            total += argmax(p + i * columns, columns) == argmax(t + i * columns, columns);
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

  template <std::size_t R, std::size_t L>
  void check_leading(const extents<R>& prediction, const extents<L>& labels) const {
    for (std::size_t i = 0; i < L; ++i)
      if (prediction[i] != labels[i])
        throw shape_error(fmt::format("strata: metric '{}': labels of shape {} do not fit predictions of shape {}",
                                      name_, format_dims(labels), format_dims(prediction)));
  }

  kind kind_;
  std::string name_;
  running_mean mean_;
};

}  // namespace strata
