// Sparse cross-entropy takes one integer label per sample: labels of shape (None, 10) for
// predictions (None, 10) are one axis too many (one-hot targets go to categorical_crossentropy).
#include <cstdint>

#include <strata/strata.hpp>

int main() {
  strata::tensor<float, strata::shape<strata::dyn, 10>> logits({4, 10});
  strata::tensor<std::int32_t, strata::shape<strata::dyn, 10>> labels({4, 10});
  auto loss = strata::loss::sparse_categorical_crossentropy{.from_logits = true}(logits, labels);
  (void)loss;
}
