// The seed's CustomAttention needs (batch, sequence, features); a rank-2 input is a compile error
// naming the layer, its position and the shape.
#include "layers/custom_attention.hpp"

int main() {
  strata::Sequential model(strata::Input<strata::dyn, 8>{}, strata::Dense<8>{}, CustomAttention<4>{});
}
