// Functional models: graphs of layers with several inputs and outputs, merges, shared layers;
// values against hand-computed results, gradients against finite differences, summary, errors.

#include "support/strata_test.hpp"

namespace st = strata;

namespace {

using input8 = st::input<double, st::shape<st::dyn, 8>>;
using input4 = st::input<double, st::shape<st::dyn, 4>>;
using x8 = st::tensor<double, st::shape<st::dyn, 8>>;
using x4 = st::tensor<double, st::shape<st::dyn, 4>>;

/// The value of a Dense layer's output by hand: x · kernel + bias.
template <class Model, class X>
auto dense_by_hand(Model& model, const std::string& layer, const X& x) {
  const double* kernel = nullptr;
  const double* bias = nullptr;
  st::index units = 0;
  model.for_each_variable([&](const std::string& name, const auto& value, bool) {
    if (name == layer + "/kernel") {
      kernel = value.data();
      units = value.dims()[1];
    }
    if (name == layer + "/bias") bias = value.data();
  });
  REQUIRE(kernel != nullptr);
  const st::index rows = x.dims()[0], in = x.dims()[1];
  std::vector<double> y(std::size_t(rows * units));
  for (st::index r = 0; r < rows; ++r)
    for (st::index u = 0; u < units; ++u) {
      double v = bias[u];
      for (st::index i = 0; i < in; ++i) v += x.data()[r * in + i] * kernel[i * units + u];
      y[std::size_t(r * units + u)] = v;
    }
  return y;
}

}  // namespace

TEST_CASE("Functional: shapes are worked out at compile time, node by node") {
  auto image = st::Input<st::dyn, 8>{.name = "image"};
  auto meta = st::Input<st::dyn, 4>{.name = "meta"};
  auto a = st::Dense<16>{.activation = "relu"}(image);
  auto b = st::Dense<16>{}(meta);
  auto joined = st::Concatenate{}(a, b);
  auto summed = st::Add{}(a, b);
  static_assert(decltype(joined)::shape_type{} == st::shape<st::dyn, 32>{});
  static_assert(decltype(summed)::shape_type{} == st::shape<st::dyn, 16>{});
  st::Model model(st::inputs(image, meta), st::outputs(st::Dense<1>{}(joined), st::Dense<4>{}(summed)));
  static_assert(decltype(model)::input_count == 2 && decltype(model)::output_count == 2);
  static_assert(st::model<decltype(model)>);  // the contract fit, evaluate and predict need
  static_assert(st::model<st::Sequential<st::input<float, st::shape<st::dyn, 2>>, st::Dense<1>>>);
  static_assert(decltype(model)::output_tensor_at<1>::shape_type{} == st::shape<st::dyn, 4>{});
  CHECK(model.layer_names() ==
        std::vector<std::string>{"image", "dense", "meta", "dense_1", "concatenate", "dense_2", "add", "dense_3"});
}

TEST_CASE("Functional: two inputs, a Concatenate and two heads give what the layers give by hand") {
  auto left = input8{.name = "left"};
  auto right = input4{.name = "right"};
  auto a = st::Dense<3>{.name = "a"}(left);
  auto b = st::Dense<2>{.name = "b"}(right);
  auto joined = st::Concatenate{.name = "joined"}(a, b);
  st::Model model(st::inputs(left, right), st::outputs(joined, st::Add{}(a, st::Dense<3>{.name = "c"}(right))));
  const auto xl = x8::random_normal({5, 8}, 1);
  const auto xr = x4::random_normal({5, 4}, 2);
  const auto [y_joined, y_sum] = model.predict({xl, xr});
  REQUIRE(y_joined.dims() == st::extents<2>{5, 5});
  const auto va = dense_by_hand(model, "a", xl), vb = dense_by_hand(model, "b", xr), vc = dense_by_hand(model, "c", xr);
  for (st::index r = 0; r < 5; ++r) {
    for (st::index j = 0; j < 3; ++j) {
      CHECK(y_joined(r, j) == Approx(va[std::size_t(r * 3 + j)]));
      CHECK(y_sum(r, j) == Approx(va[std::size_t(r * 3 + j)] + vc[std::size_t(r * 3 + j)]));
    }
    for (st::index j = 0; j < 2; ++j) CHECK(y_joined(r, 3 + j) == Approx(vb[std::size_t(r * 2 + j)]));
  }
}

TEST_CASE("Functional: merge layers compute as Keras' do") {
  auto p = input4{};
  auto q = input4{};
  auto r = input4{};
  st::Model model(st::inputs(p, q, r),
                  st::outputs(st::Add{}(p, q, r), st::Subtract{}(p, q), st::Multiply{}(p, q, r), st::Average{}(p, q),
                              st::Maximum{}(p, q, r), st::Minimum{}(p, q), st::Concatenate<0>{.axis = 0}(p, q)));
  const auto a = x4::random_normal({2, 4}, 3), b = x4::random_normal({2, 4}, 4), c = x4::random_normal({2, 4}, 5);
  const auto [sum, difference, product, mean, largest, smallest, rows] = model.predict({a, b, c});
  for (st::index i = 0; i < 2; ++i)
    for (st::index j = 0; j < 4; ++j) {
      CHECK(sum(i, j) == Approx(a(i, j) + b(i, j) + c(i, j)));
      CHECK(difference(i, j) == Approx(a(i, j) - b(i, j)));
      CHECK(product(i, j) == Approx(a(i, j) * b(i, j) * c(i, j)));
      CHECK(mean(i, j) == Approx((a(i, j) + b(i, j)) / 2));
      CHECK(largest(i, j) == Approx(std::max({a(i, j), b(i, j), c(i, j)})));
      CHECK(smallest(i, j) == Approx(std::min(a(i, j), b(i, j))));
      CHECK(rows(i, j) == a(i, j));
      CHECK(rows(2 + i, j) == b(i, j));
    }
}

TEST_CASE("Functional: gradients of a diamond, a shared layer and two outputs match finite differences") {
  SECTION("a diamond: one tensor feeds two branches that meet again") {
    auto x = input8{};
    auto h = st::Dense<6>{.activation = "tanh"}(x);
    auto left = st::Dense<4>{.activation = "sigmoid"}(h);
    auto right = st::Dense<4>{}(h);
    st::Model model(st::inputs(x), st::outputs(st::Multiply{}(left, right)));
    STRATA_REQUIRE_GRADIENTS(st::gradcheck_model(model, std::make_tuple(x8::random_normal({3, 8}, 6))));
  }
  SECTION("a shared layer applied twice gets the sum of both uses' gradients") {
    auto a = input4{};
    auto b = input4{};
    auto shared = st::Dense<3>{.activation = "tanh"};
    st::Model model(st::inputs(a, b), st::outputs(st::Concatenate{}(shared(a), shared(b))));
    std::vector<std::string> names;
    model.for_each_weight([&](const std::string& name, auto&, auto&) { names.push_back(name); });
    CHECK(names == std::vector<std::string>{"dense/kernel", "dense/bias"});  // one set of weights
    STRATA_REQUIRE_GRADIENTS(
        st::gradcheck_model(model, std::make_tuple(x4::random_normal({2, 4}, 7), x4::random_normal({2, 4}, 8))));
  }
  SECTION("a residual Add, the same layer on one input twice, and two outputs") {
    auto x = input4{};
    auto block = st::Dense<4>{.activation = "tanh"};
    auto h = st::Add{}(x, block(x));
    auto twice = st::Add{}(block(h), block(h));  // one layer, two uses on the same tensor
    st::Model model(st::inputs(x), st::outputs(st::Dense<2>{}(h), st::Maximum{}(twice, h)));
    STRATA_REQUIRE_GRADIENTS(st::gradcheck_model(model, std::make_tuple(x4::random_normal({3, 4}, 9))));
  }
}

TEST_CASE("Functional: a merge of inputs whose extents are known only at run time") {
  auto a = st::Input<st::dyn, st::dyn>{};
  auto b = st::Input<st::dyn, 4>{};
  auto shared = st::Dense<3>{.name = "shared"};
  st::Model model(st::inputs(a, b), st::outputs(st::Add{}(a, b), shared(b), shared(st::Dense<4>{}(b))));
  CHECK(model.output_name<1>() == "shared");
  CHECK(model.output_name<2>() == "shared_1");  // two outputs of one layer get distinct names
  const auto four = st::tensor<float, st::shape<st::dyn, st::dyn>>::random_normal({2, 4}, 14);
  const auto other = st::tensor<float, st::shape<st::dyn, 4>>::random_normal({2, 4}, 15);
  const auto [sum, once, twice] = model.predict({four, other});
  CHECK(sum(1, 3) == Approx(four(1, 3) + other(1, 3)));
  CHECK(once.dims() == st::extents<2>{2, 3});
}

TEST_CASE("Functional: backward sums the losses of two outputs with their weights") {
  auto x = st::Input<st::dyn, 4>{};
  auto h = st::Dense<3>{.activation = "relu"}(x);
  st::Model model(st::inputs(x), st::outputs(st::Dense<1>{.name = "score"}(h), st::Dense<2>{.name = "kind"}(h)));
  const auto data = st::tensor<float, st::shape<st::dyn, 4>>::random_normal({6, 4}, 10);
  auto gradients = [&](float w_score, float w_kind) {
    model.zero_gradients();
    model.backward(data, [&](const auto& score, const auto& kind) {
      return w_score * st::mean(st::square(score)) + w_kind * st::mean(kind);
    });
    std::vector<float> all;
    model.for_each_weight([&](const std::string&, auto&, auto& gradient) {
      all.insert(all.end(), gradient.data(), gradient.data() + gradient.size());
    });
    return all;
  };
  const auto only_score = gradients(1, 0), only_kind = gradients(0, 1), both = gradients(2, 0.5f);
  REQUIRE(both.size() == only_score.size());
  for (std::size_t i = 0; i < both.size(); ++i) CHECK(both[i] == Approx(2 * only_score[i] + 0.5f * only_kind[i]).margin(1e-6));
}

TEST_CASE("Functional: a model of one input and one output trains with fit") {
  auto x = st::Input<st::dyn, 2>{};
  auto h = st::Dense<8>{.activation = "tanh"}(x);
  auto y = st::Dense<1>{}(st::Concatenate{}(h, x));  // a skip connection around the hidden layer
  st::Model model(st::inputs(x), st::outputs(y));
  auto data = st::tensor<float, st::shape<st::dyn, 2>>::random_uniform({256, 2}, 11, -1, 1);
  st::tensor<float, st::shape<st::dyn, 1>> target({256, 1});
  for (st::index i = 0; i < 256; ++i) target(i, 0) = data(i, 0) * data(i, 1) + 0.5f * data(i, 0);
  const auto before = st::evaluate(model, data, target, st::loss::mean_squared_error{});
  st::fit(model, data, target, st::loss::mean_squared_error{}, st::optim::adam{.learning_rate = 0.02},
          {.epochs = 40, .batch_size = 32, .verbose = st::verbosity::silent});
  const auto after = st::evaluate(model, data, target, st::loss::mean_squared_error{});
  CHECK(after.at("loss") < 0.2 * before.at("loss"));
}

TEST_CASE("Functional: summary has Keras' Connected to column") {
  auto image = st::Input<st::dyn, 8>{.name = "image"};
  auto shared = st::Dense<4>{.name = "shared"};
  auto a = shared(image);
  auto b = shared(st::Dense<8>{}(image));
  st::Model model(st::inputs(image), st::outputs(st::Add{.name = "sum"}(a, b)), "two_paths");
  const std::string text = model.summary_string();
  INFO(text);
  CHECK_THAT(text, Catch::StartsWith("Model: \"two_paths\"\n"));
  CHECK_THAT(text, Catch::Contains("Connected to"));
  CHECK_THAT(text, Catch::Matches("(.|\n)* image \\(InputLayer\\) +\\(None, 8\\) +0 +\\[\\]\n(.|\n)*"));
  CHECK_THAT(text, Catch::Matches("(.|\n)* shared \\(Dense\\) +multiple +36 +image\\[0\\]\\[0\\]\n +dense\\[0\\]\\[0\\]\n(.|\n)*"));
  CHECK_THAT(text, Catch::Matches("(.|\n)* sum \\(Add\\) +\\(None, 4\\) +0 +shared\\[0\\]\\[0\\]\n +shared\\[1\\]\\[0\\]\n(.|\n)*"));
  CHECK(model.count_params().total == 36 + 72);
}

TEST_CASE("Functional: bad graphs and bad data are clear errors") {
  SECTION("an output that depends on an input the model was not given") {
    auto a = st::Input<st::dyn, 4>{.name = "a"};
    auto b = st::Input<st::dyn, 4>{.name = "b"};
    auto y = st::Add{}(a, b);
    REQUIRE_THROWS_WITH((st::Model(st::inputs(a), st::outputs(y))),
                        Catch::Contains("depend on an input (None, 4) 'b' that is not among the model's inputs"));
  }
  SECTION("a shared layer whose second input needs other weights") {
    auto a = st::Input<st::dyn, st::dyn>{.dims = {st::dyn, 3}, .name = "a"};
    auto wide = st::Input<st::dyn, st::dyn>{.dims = {st::dyn, 5}};
    auto shared = st::Dense<2>{.name = "shared"};
    REQUIRE_THROWS_WITH((st::Model(st::inputs(a, wide), st::outputs(shared(a), shared(wide)))),
                        Catch::Contains("'shared'") && Catch::Contains("'shared/kernel' would be (5, 2) here, (3, 2)"));
  }
  SECTION("inputs whose run-time extents do not fit a merge") {
    auto a = st::Input<st::dyn, st::dyn>{};
    auto b = st::Input<st::dyn, st::dyn>{};
    st::Model model(st::inputs(a, b), st::outputs(st::Add{.name = "sum"}(a, b)));
    const auto three = st::tensor<float, st::shape<st::dyn, st::dyn>>::random_normal({2, 3}, 1);
    const auto four = st::tensor<float, st::shape<st::dyn, st::dyn>>::random_normal({2, 4}, 2);
    REQUIRE_THROWS_AS(model.predict({three, four}), st::shape_error);
    REQUIRE_THROWS_WITH(model.predict({three, four}), Catch::StartsWith("strata: layer 0 'sum' (Add): "));
  }
  SECTION("data of the wrong shape names the input") {
    auto a = st::Input<st::dyn, st::dyn>{.dims = {st::dyn, 4}, .name = "features"};
    st::Model model(st::inputs(a), st::outputs(st::Activation{.activation = "relu"}(a)));
    const st::tensor<float, st::shape<st::dyn, st::dyn>> five({3, 5});
    REQUIRE_THROWS_WITH(model.predict(five), Catch::Contains("model: the input must have shape (None, 4), found (3, 5)"));
  }
  SECTION("a copy of a layer changed before its second use") {
    auto x = st::Input<st::dyn, 4>{};
    auto first = st::Dense<4>{.activation = "tanh"};
    auto second = first;  // the same layer, as a Python reference would be
    second.activation = "relu";
    REQUIRE_THROWS_WITH((st::Model(st::inputs(x), st::outputs(second(first(x))))),
                        Catch::Contains("a copy of a layer object is the same layer"));
  }
  SECTION("one tensor given twice as an output") {
    auto x = st::Input<st::dyn, 4>{};
    auto y = st::Dense<2>{}(x);
    REQUIRE_THROWS_WITH((st::Model(st::inputs(x), st::outputs(y, y))),
                        Catch::Contains("output 1 of the model is an earlier output again"));
  }
    SECTION("the same input given twice") {
    auto a = st::Input<st::dyn, 4>{};
    REQUIRE_THROWS_WITH((st::Model(st::inputs(a, a), st::outputs(st::Dense<1>{}(a)))),
                        Catch::Contains("input 1 is given twice"));
  }
}

TEST_CASE("Functional: fit and evaluate take several inputs and targets, logged under Keras' names") {
  auto a = st::Input<st::dyn, 3>{.name = "a"};
  auto b = st::Input<st::dyn, 2>{.name = "b"};
  auto h = st::Dense<16>{.activation = "tanh"}(st::Concatenate{}(a, b));
  st::Model model(st::inputs(a, b), st::outputs(st::Dense<1>{.name = "total"}(h), st::Dense<2>{.name = "sign"}(h)));
  const auto xa = st::tensor<float, st::shape<st::dyn, 3>>::random_uniform({300, 3}, 12, -1, 1);
  const auto xb = st::tensor<float, st::shape<st::dyn, 2>>::random_uniform({300, 2}, 13, -1, 1);
  st::tensor<float, st::shape<st::dyn, 1>> total({300, 1});
  st::tensor<std::int32_t, st::shape<st::dyn>> sign(st::extents<1>{300});
  for (st::index i = 0; i < 300; ++i) {
    total(i, 0) = xa(i, 0) + xa(i, 1) + xa(i, 2) + xb(i, 0) + xb(i, 1);
    sign(i) = total(i, 0) > 0 ? 1 : 0;
  }
  const auto losses =
      st::losses(st::loss::mean_squared_error{}, st::loss::sparse_categorical_crossentropy{.from_logits = true});
  const auto history = st::fit(model, std::tie(xa, xb), std::tie(total, sign), losses, st::optim::adam{.learning_rate = 0.02},
                               {.epochs = 30, .validation_split = 0.2, .metrics = {"accuracy"},
                                .verbose = st::verbosity::silent, .loss_weights = {1.0, 0.5}});
  for (const char* key : {"loss", "total_loss", "total_accuracy", "sign_loss", "sign_accuracy", "val_loss",
                          "val_total_loss", "val_sign_loss", "val_sign_accuracy"})
    CHECK(history.contains(key));
  CHECK(history["sign_accuracy"].back() > 0.9);

  const auto test = st::evaluate(model, std::tie(xa, xb), std::tie(total, sign), losses,
                                 {.metrics = {"accuracy"}, .loss_weights = {1.0, 0.5}});
  CHECK(test.at("loss") == Approx(test.at("total_loss") + 0.5 * test.at("sign_loss")).epsilon(1e-4));
  CHECK(test.at("sign_accuracy") > 0.9);

  const auto [predicted_total, predicted_sign] = st::predict(model, std::tie(xa, xb), 64);
  CHECK(predicted_total.dims() == st::extents<2>{300, 1});
  CHECK(predicted_sign.dims() == st::extents<2>{300, 2});

  REQUIRE_THROWS_WITH(st::evaluate(model, std::tie(xa, xb), std::tie(total, sign), losses, {.loss_weights = {1.0}}),
                      Catch::Contains("loss_weights needs one weight per output") && Catch::Contains("2 outputs"));
  const st::tensor<std::int32_t, st::shape<st::dyn>> short_sign(st::extents<1>{299});
  REQUIRE_THROWS_WITH(st::evaluate(model, std::tie(xa, xb), std::tie(total, short_sign), losses),
                      Catch::Contains("x[0] has 300 samples (shape (300, 3)) but y[1] has 299"));
}
