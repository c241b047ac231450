#pragma once
/// \file Fashion-MNIST: 70000 grey 28×28 images of clothing in 10 classes, read from its four IDX
/// files (as installed by the Debian package dataset-fashion-mnist).
///
///     auto data = strata::datasets::load_fashion_mnist();            // 60000 train, 10000 test
///     fmt::print("{}\n", data.class_names[data.train_labels(0)]);   // "Ankle boot"
///     auto quick = strata::datasets::load_fashion_mnist(strata::datasets::fashion_mnist::default_directory,
///                                                       1000);  // the first 1000 of each split

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "strata/core/error.hpp"
#include "strata/io/idx.hpp"
#include "strata/tensor/tensor.hpp"

namespace strata::datasets {

/// The two splits of Fashion-MNIST: images flattened to 784 pixels in [0, 1], labels in 0..9
/// (indices into `class_names`).
struct fashion_mnist {
  /// Where the Debian package dataset-fashion-mnist installs the files.
  static constexpr std::string_view default_directory = "/usr/share/datasets/fashion-mnist";
  static constexpr index image_rows = 28;
  static constexpr index image_columns = 28;
  static constexpr index pixels = image_rows * image_columns;

  tensor<float, shape<dyn, pixels>> train_images;
  tensor<std::int32_t, shape<dyn>> train_labels;
  tensor<float, shape<dyn, pixels>> test_images;
  tensor<std::int32_t, shape<dyn>> test_labels;

  static constexpr std::array<std::string_view, 10> class_names{
      "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
};

namespace detail {

/// `dir/name.gz`, or `dir/name` when only the uncompressed file is there.
inline std::filesystem::path fashion_mnist_file(const std::filesystem::path& dir, const std::string& name) {
  const auto compressed = dir / (name + ".gz");
  const auto raw = dir / name;
  return std::filesystem::exists(compressed) || !std::filesystem::exists(raw) ? compressed : raw;
}

inline void load_fashion_mnist_split(const std::filesystem::path& dir, const std::string& prefix,
                                     std::optional<index> limit,
                                     tensor<float, shape<dyn, fashion_mnist::pixels>>& images,
                                     tensor<std::int32_t, shape<dyn>>& labels) {
  const io::detail::idx_file image_file =
      io::detail::read_idx_file(fashion_mnist_file(dir, prefix + "-images-idx3-ubyte"));
  const io::detail::idx_file label_file =
      io::detail::read_idx_file(fashion_mnist_file(dir, prefix + "-labels-idx1-ubyte"));
  if (image_file.dims.size() != 3 || image_file.dims[1] != fashion_mnist::image_rows ||
      image_file.dims[2] != fashion_mnist::image_columns)
    image_file.fail(
        4, fmt::format("expected images of dimensions (N, 28, 28), found {}", image_file.dims_text()));
  if (label_file.dims.size() != 1)
    label_file.fail(3, fmt::format("expected 1 dimension for labels, found {}", label_file.dims.size()));
  if (image_file.dims[0] != label_file.dims[0])
    throw data_error(
        fmt::format("strata: fashion-mnist: expected as many labels as images, found {} images in {} "
                    "and {} labels in {}",
                    image_file.dims[0], image_file.path, label_file.dims[0], label_file.path));

  const index count = std::min(image_file.dims[0], limit.value_or(image_file.dims[0]));
  images.resize(extents<2>{count, fashion_mnist::pixels});
  io::detail::convert(image_file, 0, images.size(), images.data(), 1.0f / 255);
  labels.resize(extents<1>{count});
  io::detail::convert(label_file, 0, count, labels.data(), std::int32_t{1});
  for (index i = 0; i < count; ++i)
    if (labels(i) < 0 || labels(i) >= index{fashion_mnist::class_names.size()})
      label_file.fail(label_file.header_bytes() + i * label_file.element_bytes,
                      fmt::format("expected a class label in 0..9, found {}", labels(i)));
}

}  // namespace detail

/// Reads Fashion-MNIST from `dir` (the files `train-images-idx3-ubyte.gz`, `train-labels-idx1-ubyte.gz`,
/// `t10k-images-idx3-ubyte.gz`, `t10k-labels-idx1-ubyte.gz`, or the same without `.gz`). With
/// `limit`, keeps only the first `limit` examples of each split (for a quick run). Throws
/// `data_error` for a missing or malformed file, a count of labels that differs from the count of
/// images, or a label outside 0..9.
inline fashion_mnist load_fashion_mnist(const std::filesystem::path& dir = fashion_mnist::default_directory,
                                        std::optional<index> limit = std::nullopt) {
  if (limit && *limit < 0)
    throw std::invalid_argument(fmt::format("strata: load_fashion_mnist: limit must be >= 0, found {}", *limit));
  if (!std::filesystem::is_directory(dir))
    throw data_error(
        fmt::format("strata: fashion-mnist: expected a directory holding the IDX files, found no "
                    "directory {} (install the Debian package dataset-fashion-mnist, or pass the "
                    "directory)",
                    dir.string()));
  fashion_mnist data;
  detail::load_fashion_mnist_split(dir, "train", limit, data.train_images, data.train_labels);
  detail::load_fashion_mnist_split(dir, "t10k", limit, data.test_images, data.test_labels);
  return data;
}

}  // namespace strata::datasets
