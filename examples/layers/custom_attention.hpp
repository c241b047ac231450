#pragma once
// The seed's third layer: single-head attention over a sequence, with learned query, key and
// value projections. Inputs are (batch, sequence, features); the sequence length may be dyn.
// [layer]
#include <strata/strata.hpp>

template <strata::index AttentionSize = strata::dyn>
struct CustomAttention {
  STRATA_CONFIG(CustomAttention, (strata::index, attention_size, AttentionSize));
  // A rank-2 input is a compile error naming this layer, its position and the shape.
  static constexpr strata::input_requirements input_requirements{.min_rank = 3, .max_rank = 3};

  template <class Builder>
  auto build(Builder& b) const {
    auto projection = [&](const char* name) {
      return b.weight(name, strata::dims(b.last(), strata::extent<AttentionSize>(attention_size)),
                      strata::init::glorot_uniform);
    };
    return strata::weights(projection("query_projection"), projection("key_projection"),
                           projection("value_projection"));
  }

  auto call(auto inputs, auto query_projection, auto key_projection, auto value_projection) const {
    auto query = strata::matmul(inputs, query_projection);
    auto key = strata::matmul(inputs, key_projection);
    auto value = strata::matmul(inputs, value_projection);
    auto attention_scores = strata::matmul(query, strata::transpose(key));
    auto attention_weights = strata::softmax(attention_scores, strata::axis<-1>);
    return strata::matmul(attention_weights, value);
  }
};
// [layer]
