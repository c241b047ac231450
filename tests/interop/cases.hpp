#pragma once
// The interop cases, as strata types: the same models that write_models.js builds in TF.js
// (names, layers, input shapes), so that each side can load what the other saved.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <type_traits>
#include <string>
#include <vector>

#include <strata/strata.hpp>

#include "layers/clipping_weighted_sum.hpp"
#include "layers/custom_attention.hpp"
#include "layers/scaled_exponential.hpp"

namespace interop {
namespace st = strata;

inline constexpr st::index batch = 3;

using mlp = st::Sequential<st::Input<st::dyn, 8>, st::Dense<16>, st::Dense<12>, st::Dense<4>>;
inline mlp make_mlp() {
  return mlp(st::Input<st::dyn, 8>{}, st::Dense<16>{.activation = "relu"}, st::Dense<12>{.activation = "tanh"},
             st::Dense<4>{.activation = "softmax"});
}

// Sign-keeping activations first, so elu, selu, swish and gelu see negative values.
using activations = st::Sequential<st::Input<st::dyn, 6>, st::Dense<6>, st::Activation, st::Activation, st::Activation,
                                   st::Activation, st::Activation, st::Activation, st::Activation, st::Activation,
                                   st::Activation, st::Activation>;
inline activations make_activations() {
  return activations(st::Input<st::dyn, 6>{}, st::Dense<6>{}, st::Activation{"linear"}, st::Activation{"tanh"},
                     st::Activation{"elu"}, st::Activation{"selu"}, st::Activation{"swish"}, st::Activation{"gelu"},
                     st::Activation{"softplus"}, st::Activation{"sigmoid"}, st::Activation{"relu"},
                     st::Activation{"softmax"});
}

using normalization = st::Sequential<st::Input<st::dyn, 6>, st::Dense<8>, st::LayerNormalization,
                                     st::BatchNormalization, st::Dense<3>>;
inline normalization make_normalization() {
  return normalization(st::Input<st::dyn, 6>{}, st::Dense<8>{}, st::LayerNormalization{}, st::BatchNormalization{},
                       st::Dense<3>{});
}

using dropout = st::Sequential<st::Input<st::dyn, 5>, st::Dense<7>, st::Dropout, st::Dense<2>>;
inline dropout make_dropout() {
  return dropout(st::Input<st::dyn, 5>{}, st::Dense<7>{.activation = "relu"}, st::Dropout{.rate = 0.3}, st::Dense<2>{});
}

using embedding_input = st::Input<st::dyn, 5>::of<std::int32_t>;
using embedding = st::Sequential<embedding_input, st::Embedding<20, 4>, st::Flatten, st::Dense<2>>;
inline embedding make_embedding() {
  return embedding(embedding_input{}, st::Embedding<20, 4>{}, st::Flatten{}, st::Dense<2>{});
}

using custom = st::Sequential<st::Input<st::dyn, 4>, ScaledExponential, ClippingWeightedSum>;
inline custom make_custom() {
  return custom(st::Input<st::dyn, 4>{}, ScaledExponential{.scale_factor = 0.5f},
                ClippingWeightedSum{.clip_min = -0.5, .clip_max = 0.8, .num_filters = 3});
}

using attention = st::Sequential<st::Input<st::dyn, 5, 4>, CustomAttention<6>>;
inline attention make_attention() { return attention(st::Input<st::dyn, 5, 4>{}, CustomAttention<6>{}); }

// More than 4 MiB of weights: two shards.
using large = st::Sequential<st::Input<st::dyn, 1100>, st::Dense<1024>>;
inline large make_large() { return large(st::Input<st::dyn, 1100>{}, st::Dense<1024>{}); }

/// The case names both sides write and read, in the order above (strata also writes "trained").
inline const std::vector<std::string> names{"mlp",    "activations", "normalization", "dropout",
                                            "embedding", "custom",   "attention",     "large"};

}  // namespace interop

namespace interop {

/// `x` as the input tensor of `Model` (indices for an Embedding model).
template <class Model>
typename Model::input_tensor to_input(const strata::dynamic_tensor& x) {
  using input = typename Model::input_tensor;
  typename input::extents_type dims{};
  if (x.shape.size() != dims.size()) throw std::invalid_argument("interop: the input's rank differs from the model's");
  std::copy(x.shape.begin(), x.shape.end(), dims.begin());
  input tensor(dims);
  using element = std::remove_cvref_t<decltype(*tensor.data())>;
  for (std::size_t i = 0; i < x.values.size(); ++i) tensor.data()[i] = static_cast<element>(x.values[i]);
  return tensor;
}

/// A tensor's extents and values as a dynamic_tensor.
template <class Tensor>
strata::dynamic_tensor to_dynamic(const Tensor& t) {
  strata::dynamic_tensor result;
  result.shape.assign(t.dims().begin(), t.dims().end());
  for (strata::index i = 0; i < t.size(); ++i) result.values.push_back(static_cast<float>(t.data()[i]));
  return result;
}

/// The largest |a - b| / max(1, |b|): the interop tolerance is 1e-5 on it.
inline double worst_difference(const strata::dynamic_tensor& actual, const strata::dynamic_tensor& expected) {
  if (actual.shape != expected.shape || actual.values.size() != expected.values.size()) return INFINITY;
  double worst = 0;
  for (std::size_t i = 0; i < expected.values.size(); ++i) {
    const double difference = std::abs(double(actual.values[i]) - double(expected.values[i])) /
                              std::max(1.0, std::abs(double(expected.values[i])));
    worst = std::isnan(difference) ? INFINITY : std::max(worst, difference);
  }
  return worst;
}

inline constexpr double tolerance = 1e-5;

}  // namespace interop
