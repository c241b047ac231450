// A functional model on Fashion-MNIST: two inputs (the image, and the brightness of each of its 28
// rows), two heads on a shared trunk (the kind of garment, and whether it is footwear), trained
// with fit on both losses at once.
//
//     functional [--epochs 3] [--limit N]
//
// --limit N trains and tests on the first N images of each split (a quick run).
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

#include <fmt/format.h>

#include <strata/strata.hpp>

namespace st = strata;

namespace {

/// The mean brightness of each of an image's 28 rows: a second, derived input.
st::tensor<float, st::shape<st::dyn, 28>> row_brightness(const st::tensor<float, st::shape<st::dyn, 784>>& images) {
  st::tensor<float, st::shape<st::dyn, 28>> rows({images.dims()[0], 28});
  for (st::index i = 0; i < images.dims()[0]; ++i)
    for (st::index r = 0; r < 28; ++r) {
      float sum = 0;
      for (st::index c = 0; c < 28; ++c) sum += images(i, r * 28 + c);
      rows(i, r) = sum / 28;
    }
  return rows;
}

/// 1 for sandals, sneakers and ankle boots (classes 5, 7 and 9), else 0: the second target.
st::tensor<float, st::shape<st::dyn, 1>> is_footwear(const st::tensor<std::int32_t, st::shape<st::dyn>>& labels) {
  st::tensor<float, st::shape<st::dyn, 1>> footwear({labels.dims()[0], 1});
  for (st::index i = 0; i < labels.dims()[0]; ++i) {
    const std::int32_t kind = labels(i);
    footwear(i, 0) = kind == 5 || kind == 7 || kind == 9 ? 1.0f : 0.0f;
  }
  return footwear;
}

}  // namespace

int main(int argc, char** argv) try {
  int epochs = 3;
  std::optional<st::index> limit;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view name = argv[i];
    if (name == "--epochs") epochs = std::stoi(argv[i + 1]);
    else if (name == "--limit") limit = std::stol(argv[i + 1]);
    else throw std::invalid_argument(fmt::format("unknown option {}", name));
  }
  const auto data = st::datasets::load_fashion_mnist(st::datasets::fashion_mnist::default_directory, limit);
  const auto train_rows = row_brightness(data.train_images), test_rows = row_brightness(data.test_images);
  const auto train_footwear = is_footwear(data.train_labels), test_footwear = is_footwear(data.test_labels);

  // [model]
  auto image = st::Input<st::dyn, 784>{.name = "image"};
  auto rows = st::Input<st::dyn, 28>{.name = "rows"};
  auto joined = st::Concatenate{}(st::Dense<128>{.activation = "relu"}(image),
                                  st::Dense<16>{.activation = "relu"}(rows));
  auto trunk = st::Dense<64>{.activation = "relu"}(joined);
  st::Model model(st::inputs(image, rows),
                  st::outputs(st::Dense<10>{.name = "kind"}(trunk),  // logits
                              st::Dense<1>{.activation = "sigmoid", .name = "footwear"}(trunk)));
  model.summary();
  // [model]

  // [fit]
  const auto losses = st::losses(st::loss::sparse_categorical_crossentropy{.from_logits = true},
                                 st::loss::binary_crossentropy{});
  st::fit(model, std::tie(data.train_images, train_rows), std::tie(data.train_labels, train_footwear), losses,
          st::optim::adam{.learning_rate = 1e-3},
          {.epochs = epochs, .batch_size = 128, .metrics = {"accuracy"}, .loss_weights = {1.0, 0.5}});
  const st::logs test = st::evaluate(model, std::tie(data.test_images, test_rows),
                                     std::tie(data.test_labels, test_footwear), losses,
                                     {.metrics = {"accuracy"}, .loss_weights = {1.0, 0.5}});
  // [fit]
  std::printf("test: loss %.4f, kind accuracy %.4f, footwear accuracy %.4f\n", test.at("loss"),
              test.at("kind_accuracy"), test.at("footwear_accuracy"));
  if (test.at("kind_accuracy") < 0.6 || test.at("footwear_accuracy") < 0.9) {
    std::fputs("functional: the model did not learn\n", stderr);
    return 1;
  }
} catch (const std::exception& error) {
  std::fprintf(stderr, "functional: %s\n", error.what());
  return 1;
}
