#pragma once
/// \file Embedding: a learned vector per integer index (a token, a category).
///
///     strata::Sequential model(strata::Input<strata::dyn, strata::dyn>::of<std::int32_t>{},
///                              strata::Embedding<1000, 64>{});      // (None, None) → (None, None, 64)

#include <stdexcept>

#include <fmt/format.h>

#include "strata/expr/ops/gather.hpp"
#include "strata/layers/layer.hpp"

namespace strata {

template <index InputDim = dyn, index OutputDim = dyn>
struct Embedding {
  STRATA_CONFIG(Embedding,
                (index, input_dim, InputDim),
                (index, output_dim, OutputDim),
                (initializer, embeddings_initializer, init::random_uniform),
                (bool, mask_zero, false));
  static constexpr ::strata::input_requirements input_requirements{.min_rank = 1, .max_rank = 7, .integer = true};

  template <class Builder>
  auto build(Builder& b) const {
    if (mask_zero) throw std::invalid_argument("strata: Embedding: mask_zero = true is not supported yet");
    if (input_dim == 0 || output_dim == 0)  // no index could be looked up, or nothing to look up
      throw std::invalid_argument(fmt::format("strata: Embedding needs input_dim and output_dim of at least 1, found {} "
                                              "and {}",
                                              input_dim, output_dim));
    return b.weight("embeddings", dims(extent<InputDim>(input_dim), extent<OutputDim>(output_dim)),
                    embeddings_initializer);
  }

  /// `indices` refers to the integer input tensor.
  auto call(auto indices, auto embeddings) const { return gather(embeddings, indices.get()); }
};

}  // namespace strata
