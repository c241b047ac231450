// fit, evaluate and predict on small problems: XOR and a linearly separable set learned to 100%,
// reproducible shuffling, validation, the progress lines, and the errors for bad data.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <string>
#include <vector>

#include "support/strata_test.hpp"

namespace st = strata;
using Catch::Detail::Approx;
using Catch::Matchers::Contains;
using points = st::tensor<float, st::shape<st::dyn, 2>>;
using column = st::tensor<float, st::shape<st::dyn, 1>>;
using labels = st::tensor<std::int32_t, st::shape<st::dyn>>;

namespace {

auto xor_model() {
  return st::Sequential(st::Input<st::dyn, 2>{}, st::Dense<8>{.activation = "tanh"},
                        st::Dense<1>{.activation = "sigmoid"});
}

/// 2-D points labelled by which side of the line x + 2y = 0.3 they lie, at least 0.1 away from it.
std::pair<points, labels> separable_set(st::index count, std::uint64_t seed) {
  const auto candidates = points::random_uniform({4 * count, 2}, seed, -1, 1);
  points x({count, 2});
  labels y(labels::extents_type{count});
  st::index kept = 0;
  for (st::index i = 0; i < 4 * count && kept < count; ++i) {
    const float margin = candidates(i, 0) + 2 * candidates(i, 1) - 0.3f;
    if (std::abs(margin) < 0.1f) continue;
    x(kept, 0) = candidates(i, 0);
    x(kept, 1) = candidates(i, 1);
    y(kept) = margin > 0 ? 1 : 0;
    ++kept;
  }
  REQUIRE(kept == count);
  return {x, y};
}

/// Everything fit prints, captured from a temporary file (not a terminal: plain lines).
struct captured_output {
  std::FILE* file = std::tmpfile();
  ~captured_output() { std::fclose(file); }
  std::string text() const {
    std::rewind(file);
    std::string result;
    for (int c = std::fgetc(file); c != EOF; c = std::fgetc(file)) result += char(c);
    return result;
  }
};

}  // namespace

TEST_CASE("a small model learns XOR to 100%", "[fit]") {
  auto model = xor_model();
  const points x{{0, 0}, {0, 1}, {1, 0}, {1, 1}};
  const column y{{0}, {1}, {1}, {0}};
  const auto history = model.fit(x, y, st::loss::binary_crossentropy{}, st::optim::adam{.learning_rate = 0.05},
                                 {.epochs = 300, .batch_size = 4, .metrics = {"accuracy"}, .verbose = st::verbosity::silent});
  CHECK(history.epochs.size() == 300);
  CHECK(history["loss"].back() < 0.05);
  CHECK(history["accuracy"].back() == 1.0);
  const auto test = model.evaluate(x, y, st::loss::binary_crossentropy{}, {.metrics = {"binary_accuracy"}});
  CHECK(test.at("binary_accuracy") == 1.0);
  const auto p = st::predict(model, x, 3);  // two batches, the second partial
  CHECK(p(0, 0) < 0.5f);
  CHECK(p(1, 0) > 0.5f);
  CHECK(p(2, 0) > 0.5f);
  CHECK(p(3, 0) < 0.5f);
}

TEST_CASE("a linear classifier separates a linearly separable set to 100%", "[fit]") {
  const auto [x, y] = separable_set(200, 5);
  auto model = st::Sequential(st::Input<st::dyn, 2>{}, st::Dense<2>{});
  const st::loss::sparse_categorical_crossentropy loss{.from_logits = true};
  const auto history = model.fit(x, y, loss, st::optim::sgd{.learning_rate = 0.5, .momentum = 0.9},
                                 {.epochs = 60, .batch_size = 16, .metrics = {"accuracy"}, .verbose = st::verbosity::silent});
  CHECK(history["accuracy"].back() == 1.0);
  CHECK(model.evaluate(x, y, loss, {.metrics = {"sparse_categorical_accuracy"}}).at("sparse_categorical_accuracy") == 1.0);
}

TEST_CASE("fit shuffles reproducibly from its seed and validates on the held-out tail", "[fit]") {
  const auto [x, y] = separable_set(100, 9);
  const st::loss::sparse_categorical_crossentropy loss{.from_logits = true};
  auto run = [&](std::uint64_t seed) {
    auto model = st::Sequential(st::Input<st::dyn, 2>{}, st::Dense<2>{});
    return model.fit(x, y, loss, st::optim::adam{.learning_rate = 0.01},
                     {.epochs = 3, .batch_size = 8, .seed = seed, .validation_split = 0.2, .metrics = {"accuracy"},
                      .verbose = st::verbosity::silent});
  };
  const auto first = run(1), again = run(1), other = run(2);
  CHECK(first["loss"] == again["loss"]);
  CHECK(first["loss"] != other["loss"]);
  CHECK(first.contains("val_loss"));
  CHECK(first.contains("val_accuracy"));
  CHECK(first.train_seconds.size() == 3);

  SECTION("the validation figures are those evaluate gives on the last 20 samples") {
    auto model = st::Sequential(st::Input<st::dyn, 2>{}, st::Dense<2>{});
    const auto history = model.fit(x, y, loss, st::optim::adam{.learning_rate = 0.01},
                                   {.epochs = 1, .batch_size = 8, .validation_split = 0.2, .metrics = {"accuracy"},
                                    .verbose = st::verbosity::silent});
    points tail({20, 2});
    labels tail_labels(labels::extents_type{20});
    for (st::index i = 0; i < 20; ++i) {
      tail(i, 0) = x(80 + i, 0);
      tail(i, 1) = x(80 + i, 1);
      tail_labels(i) = y(80 + i);
    }
    const auto check = model.evaluate(tail, tail_labels, loss, {.metrics = {"accuracy"}});
    CHECK(history["val_loss"][0] == Approx(check.at("loss")));
    CHECK(history["val_accuracy"][0] == Approx(check.at("accuracy")));
  }
  SECTION("separate validation data overrides validation_split, as in Keras") {
    auto model = st::Sequential(st::Input<st::dyn, 2>{}, st::Dense<2>{});
    struct step_counter : st::callback {
      st::index steps = 0;
      void on_train_batch_end(st::training_control&, int, st::index, const st::logs&) override { ++steps; }
    } counter;
    const auto history = model.fit(x, y, loss, st::optim::adam{},
                                   {.epochs = 2, .batch_size = 10, .validation_split = 0.5, .callbacks = {&counter},
                                    .verbose = st::verbosity::silent},
                                   st::validation_data{x, y});
    CHECK(counter.steps == 2 * 10);  // all 100 samples trained on, in batches of 10
    CHECK(history["val_loss"].size() == 2);
    CHECK(history["val_loss"][1] == Approx(model.evaluate(x, y, loss).at("loss")));
  }
}

TEST_CASE("data with a static number of samples trains in batches that do not divide it", "[fit]") {
  const auto [x, y] = separable_set(10, 4);
  st::tensor<float, st::shape<10, 2>> fixed_x;
  st::tensor<std::int32_t, st::shape<10>> fixed_y;
  std::copy_n(x.data(), x.size(), fixed_x.data());
  std::copy_n(y.data(), y.size(), fixed_y.data());
  auto model = st::Sequential(st::Input<st::dyn, 2>{}, st::Dense<2>{});
  const st::loss::sparse_categorical_crossentropy loss{.from_logits = true};
  const auto history = model.fit(fixed_x, fixed_y, loss, st::optim::sgd{},
                                 {.epochs = 2, .batch_size = 4, .verbose = st::verbosity::silent});  // 4 + 4 + 2
  CHECK(history["loss"].size() == 2);
  CHECK(std::isfinite(model.evaluate(fixed_x, fixed_y, loss, {.batch_size = 3}).at("loss")));
}

TEST_CASE("fit prints one line per epoch when its output is not a terminal", "[fit][progress]") {
  const auto [x, y] = separable_set(64, 3);
  auto model = st::Sequential(st::Input<st::dyn, 2>{}, st::Dense<2>{});
  captured_output out;
  model.fit(x, y, st::loss::sparse_categorical_crossentropy{.from_logits = true}, st::optim::adam{},
            {.epochs = 2, .batch_size = 16, .validation_split = 0.25, .metrics = {"accuracy"}, .output = out.file});
  const std::string text = out.text();
  INFO(text);
  CHECK(text.find("Epoch 1/2\n3/3 - ") == 0);
  CHECK_THAT(text, Contains("Epoch 2/2\n3/3 - ") && Contains("/step - loss: ") && Contains(" - accuracy: ") &&
                       Contains(" - val_loss: ") && Contains(" - val_accuracy: "));
  CHECK(std::count(text.begin(), text.end(), '\n') == 4);
  CHECK(text.find('\r') == std::string::npos);

  SECTION("the bar, as on a terminal, redraws one line per epoch") {
    captured_output bar;
    model.fit(x, y, st::loss::sparse_categorical_crossentropy{.from_logits = true}, st::optim::adam{},
              {.epochs = 1, .batch_size = 16, .metrics = {"accuracy"}, .verbose = st::verbosity::bar, .output = bar.file});
    const std::string drawn = bar.text();
    INFO(drawn);
    CHECK(drawn.find("Epoch 1/1\n") == 0);
    CHECK_THAT(drawn, Contains("\r4/4 \u2501\u2501") && Contains("/step - loss: ") && Contains(" - accuracy: "));
    CHECK(drawn.find("\x1b[") == std::string::npos);  // no terminal escapes in a file
    CHECK(drawn.back() == '\n');
  }
}

TEST_CASE("accuracy resolves as Keras 3 does, and step times pick readable units", "[fit][metrics]") {
  const column one_column{{0.9f}, {0.2f}, {0.7f}};
  const labels binary_labels{1, 0, 0};
  st::metric binary("accuracy");
  binary.update(one_column, binary_labels);  // one output column: binary, whatever the labels' type
  CHECK(binary.which() == st::metric::kind::binary_accuracy);
  CHECK(binary.result() == Approx(2.0 / 3));

  const points two_columns{{0.1f, 0.9f}, {0.8f, 0.2f}, {0.3f, 0.7f}};
  const st::tensor<std::int32_t, st::shape<st::dyn, 1>> label_column{{1}, {0}, {0}};
  st::metric sparse("acc");
  sparse.update(two_columns, label_column);  // labels of shape (n, 1): still one per sample
  CHECK(sparse.which() == st::metric::kind::sparse_categorical_accuracy);
  CHECK(sparse.result() == Approx(2.0 / 3));
  const points one_hot{{0, 1}, {1, 0}, {1, 0}};
  st::metric categorical("accuracy");
  categorical.update(two_columns, one_hot);
  CHECK(categorical.which() == st::metric::kind::categorical_accuracy);
  CHECK(categorical.result() == Approx(2.0 / 3));

  CHECK(st::detail::format_step_time(0.6) == "600ms/step");
  CHECK(st::detail::format_step_time(0.0009997) == "1ms/step");
  CHECK(st::detail::format_step_time(0.00005) == "50us/step");
  CHECK(st::detail::format_step_time(2.2) == "2s/step");
  CHECK(st::detail::format_elapsed(65) == "1:05");
}

TEST_CASE("fit and evaluate reject data that does not fit", "[fit][errors]") {
  auto model = st::Sequential(st::Input<st::dyn, 2>{}, st::Dense<2>{});
  const st::loss::sparse_categorical_crossentropy loss{.from_logits = true};
  const points x{{0, 1}, {1, 0}, {1, 1}};
  const labels two{0, 1};
  CHECK_THROWS_WITH(model.fit(x, two, loss, st::optim::sgd{}, {.verbose = st::verbosity::silent}),
                    Contains("x has 3 samples") && Contains("y has 2"));
  points with_nan = x;
  with_nan(1, 1) = std::nanf("");
  const labels three{0, 1, 1};
  CHECK_THROWS_AS(model.fit(with_nan, three, loss, st::optim::sgd{}, {.verbose = st::verbosity::silent}), st::data_error);
  CHECK_THROWS_WITH(model.fit(with_nan, three, loss, st::optim::sgd{}, {.verbose = st::verbosity::silent}),
                    Contains("x holds a non-finite value") && Contains("flat index 3"));
  CHECK_THROWS_WITH(model.fit(x, three, loss, st::optim::sgd{}, {.batch_size = 0}), Contains("batch_size > 0"));
  CHECK_THROWS_WITH(model.fit(x, three, loss, st::optim::sgd{}, {.validation_split = 1.0}), Contains("validation_split"));
  const labels out_of_range{0, 1, 5};
  CHECK_THROWS_WITH(model.evaluate(x, out_of_range, loss), Contains("label 5"));
  CHECK_THROWS_WITH(st::metric("accuracyy"), Contains("unknown metric 'accuracyy'"));
}

TEST_CASE("passes of other batch sizes and modes hand buffers on without changing results", "[fit][buffers]") {
  auto make = [] {
    return st::Sequential(st::Input<st::dyn, 2>{}, st::Dense<8>{.activation = "relu"}, st::Dropout{.rate = 0.5},
                          st::Dense<2>{});
  };
  auto used = make(), fresh = make();
  const auto [x, y] = separable_set(40, 3);
  points few({5, 2});
  std::copy_n(x.data(), few.size(), few.data());
  const st::loss::sparse_categorical_crossentropy loss{.from_logits = true};
  // `used` runs passes of other sizes and modes first, so its expressions take over old buffers.
  (void)used.forward(x, {.training = true});
  (void)used.forward(few);
  (void)used.backward(x, [&](const auto& logits) { return loss(logits, y); });
  used.zero_gradients();

  auto same = [](const auto& a, const auto& b) { return a.dims() == b.dims() && std::equal(a.begin(), a.end(), b.begin()); };
  CHECK(same(used.predict(few), fresh.predict(few)));
  CHECK(same(used.predict(x), fresh.predict(x)));
  const float used_loss = used.backward(x, [&](const auto& logits) { return loss(logits, y); }, {.training = true, .step = 7});
  const float fresh_loss = fresh.backward(x, [&](const auto& logits) { return loss(logits, y); }, {.training = true, .step = 7});
  CHECK(used_loss == fresh_loss);
  std::vector<std::vector<float>> used_gradients, fresh_gradients;
  used.for_each_weight([&](const std::string&, auto&, auto& g) { used_gradients.emplace_back(g.begin(), g.end()); });
  fresh.for_each_weight([&](const std::string&, auto&, auto& g) { fresh_gradients.emplace_back(g.begin(), g.end()); });
  CHECK(used_gradients == fresh_gradients);
}
