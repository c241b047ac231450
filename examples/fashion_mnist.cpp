// Fashion-MNIST with a multilayer perceptron (784-256-128-10): load the real data, train with Adam,
// report test accuracy and a confusion matrix, save a checkpoint, and save the model in the
// TensorFlow.js layers-model format (a folder that TF.js, strata-summary and strata-predict read).
//
//     fashion_mnist [--epochs 10] [--batch-size 128] [--limit N] [--threads 2] [--out fashion_mnist.ckpt]
//                   [--save fashion_mnist_model]
//
// --limit N trains and tests on the first N images of each split (a quick run). The last line
// printed is a JSON summary (time per epoch, accuracy per epoch, time to 88%) that
// bench/fashion_mnist_vs_pytorch.sh reads next to PyTorch's.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <strata/strata.hpp>

namespace st = strata;

namespace {

struct arguments {
  int epochs = 10;
  st::index batch_size = 128;
  std::optional<st::index> limit;
  int threads = 2;
  std::string out = "fashion_mnist.ckpt";
  std::string save = "fashion_mnist_model";
  std::string data = std::string(st::datasets::fashion_mnist::default_directory);
};

arguments parse(int argc, char** argv) {
  arguments parsed;
  for (int i = 1; i < argc; ++i) {
    const std::string_view name = argv[i];
    if (i + 1 >= argc) throw std::invalid_argument(fmt::format("{} needs a value", name));
    const std::string value = argv[++i];
    if (name == "--epochs") parsed.epochs = std::stoi(value);
    else if (name == "--batch-size") parsed.batch_size = std::stol(value);
    else if (name == "--limit") parsed.limit = std::stol(value);
    else if (name == "--threads") parsed.threads = std::stoi(value);
    else if (name == "--out") parsed.out = value;
    else if (name == "--save") parsed.save = value;
    else if (name == "--data") parsed.data = value;
    else throw std::invalid_argument(fmt::format("unknown option {}", name));
  }
  return parsed;
}

}  // namespace

int main(int argc, char** argv) try {
  const arguments args = parse(argc, argv);
  const auto data = st::datasets::load_fashion_mnist(args.data, args.limit);
  fmt::print("Fashion-MNIST: {} training and {} test images of 28x28\n", data.train_images.dim(0),
             data.test_images.dim(0));

  // [model]
  st::Sequential model(st::Input<st::dyn, 784>{},
                       st::Dense<256>{.activation = "relu"},
                       st::Dense<128>{.activation = "relu"},
                       st::Dense<10>{});  // logits
  model.summary();

  const st::loss::sparse_categorical_crossentropy loss{.from_logits = true};
  st::optimizer adam(st::optim::adam{.learning_rate = 1e-3});
  const auto history = model.fit(data.train_images, data.train_labels, loss, adam,
                                 {.epochs = args.epochs, .batch_size = args.batch_size, .seed = 1,
                                  .metrics = {"accuracy"}, .threads = args.threads},
                                 st::validation_data{data.test_images, data.test_labels});
  // [model]

  const auto test = model.evaluate(data.test_images, data.test_labels, loss, {.batch_size = 256, .metrics = {"accuracy"}});
  fmt::print("\nTest accuracy: {:.4f}  (loss {:.4f})\n", test.at("accuracy"), test.at("loss"));

  // Confusion matrix: rows are the true classes, columns the predicted ones.
  const auto logits = st::predict(model, data.test_images, 256);
  int confusion[10][10] = {};
  for (st::index i = 0; i < logits.dim(0); ++i) {
    int best = 0;
    for (int c = 1; c < 10; ++c)
      if (logits(i, c) > logits(i, best)) best = c;
    ++confusion[data.test_labels(i)][best];
  }
  std::string header;
  for (int column = 0; column < 10; ++column) header += fmt::format("{:>6}", column);
  fmt::print("\n{:>12}{}   (columns: predicted class)\n", "true class", header);
  for (int row = 0; row < 10; ++row) {
    std::string line;
    for (int column = 0; column < 10; ++column) line += fmt::format("{:>6}", confusion[row][column]);
    fmt::print("{:>12}{}\n", st::datasets::fashion_mnist::class_names[std::size_t(row)], line);
  }

  st::save_checkpoint(args.out, model, adam);
  fmt::print("\nSaved the weights and the optimizer's state to {}\n", args.out);
  model.save(args.save);
  fmt::print("Saved the model for TensorFlow.js to {}/ (try: strata-summary {})\n", args.save, args.save);

  // When did the test accuracy first reach 88%? (cumulative training time, validation excluded)
  double elapsed = 0;
  std::optional<double> seconds_to_88;
  std::optional<int> epoch_to_88;
  const auto& accuracy = history["val_accuracy"];
  for (std::size_t epoch = 0; epoch < accuracy.size(); ++epoch) {
    elapsed += history.train_seconds[epoch];
    if (!seconds_to_88 && accuracy[epoch] >= 0.88) {
      seconds_to_88 = elapsed;
      epoch_to_88 = int(epoch) + 1;
    }
  }
  std::vector<double> sorted = history.train_seconds;
  std::sort(sorted.begin(), sorted.end());
  const double median = sorted.empty() ? 0.0 : sorted[sorted.size() / 2];
  fmt::print("{{\"framework\": \"strata\", \"threads\": {}, \"epochs\": {}, \"batch_size\": {}, \"epoch_seconds\": [{:.3f}], "
             "\"median_epoch_seconds\": {:.3f}, \"test_accuracy\": [{:.4f}], \"final_test_accuracy\": {:.4f}, "
             "\"seconds_to_88\": {}, \"epoch_to_88\": {}}}\n",
             st::threads(), args.epochs, args.batch_size, fmt::join(history.train_seconds, ", "), median,
             fmt::join(accuracy, ", "), test.at("accuracy"),
             seconds_to_88 ? fmt::format("{:.3f}", *seconds_to_88) : "null",
             epoch_to_88 ? fmt::format("{}", *epoch_to_88) : "null");
  return 0;
} catch (const std::exception& error) {
  std::fprintf(stderr, "fashion_mnist: %s\n", error.what());
  return 1;
}
