// The seed's ScaledExponential layer as a plain strata expression: y = scale · exp(x ⊙ w), with
// one exponent per feature. We build the expression, evaluate it, and ask for the gradient of
// a loss with respect to the weights and the input: no backward pass is written anywhere.

#include <strata/strata.hpp>

namespace st = strata;

int main() {
  constexpr float scale = 0.5f;

  // A batch of 4 inputs with 3 features; the batch size is only known at run time (dyn).
  using batch = st::tensor<float, st::shape<st::dyn, 3>>;
  const batch x{{0.1f, -0.2f, 0.3f}, {0.4f, 0.5f, -0.6f}, {-0.7f, 0.8f, 0.9f}, {1.0f, -1.1f, 1.2f}};
  st::tensor<float, st::shape<3>> exponent = st::tensor<float, st::shape<3>>::ones();  // Keras' 'ones'

  // call(): an expression whose type carries the shape (None, 3); nothing is computed yet.
  auto y = scale * st::exp(x * exponent);
  static_assert(decltype(y)::shape_type{} == st::shape<st::dyn, 3>{});
  fmt::print("y = scale * exp(x * exponent), shape {}\n{}\n\n", decltype(y)::shape_type{}, st::eval(y));

  // A scalar loss over the layer's output, and its gradients by reverse mode over the
  // expression's type: d loss / d exponent and d loss / d x.
  auto loss = st::mean(st::square(y));
  auto [value, gradients] = st::value_and_grad(loss, exponent, x);
  const auto& [d_exponent, d_x] = gradients;
  fmt::print("loss = mean(y^2) = {}\n", value);
  fmt::print("d loss / d exponent = {}\n", d_exponent);
  fmt::print("d loss / d x =\n{}\n\n", d_x);

  // A few steps of plain gradient descent on the exponent: the loss falls.
  for (int step = 1; step <= 5; ++step) {
    auto [loss_value, grads] = st::value_and_grad(loss, exponent);
    exponent = exponent - 0.5f * std::get<0>(grads);
    fmt::print("step {}: loss {:.6f}\n", step, loss_value);
  }
  fmt::print("exponent after 5 steps = {}\n", exponent);
}
