// Tests of strata/datasets/fashion_mnist.hpp: the real files when installed (Debian package
// dataset-fashion-mnist), and the loader's checks on small made-up files.

#include "support/strata_test.hpp"

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <strata/datasets/fashion_mnist.hpp>

namespace st = strata;
using Catch::Contains;
using st::datasets::fashion_mnist;

namespace {

/// A fresh directory under the system's temporary one, removed with everything in it.
struct scratch_directory {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / fmt::format("strata_fashion_mnist_{}", std::random_device{}());
  scratch_directory() { std::filesystem::create_directories(path); }
  scratch_directory(const scratch_directory&) = delete;
  scratch_directory& operator=(const scratch_directory&) = delete;
  ~scratch_directory() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

/// Writes a raw ubyte IDX file (the loader also takes the names without .gz).
void write_idx(const std::filesystem::path& path, const std::vector<std::uint32_t>& dims,
               const std::vector<unsigned char>& values) {
  std::vector<unsigned char> out{0, 0, 0x08, static_cast<unsigned char>(dims.size())};
  for (std::uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<unsigned char>(d >> shift));
  out.insert(out.end(), values.begin(), values.end());
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(out.data()), std::streamsize(out.size()));
}

/// A tiny Fashion-MNIST: `count` images whose pixels are all 255·(i odd), labels i % 10.
void write_split(const std::filesystem::path& dir, const std::string& prefix, std::uint32_t count) {
  std::vector<unsigned char> pixels, labels;
  for (std::uint32_t i = 0; i < count; ++i) {
    pixels.insert(pixels.end(), 784, static_cast<unsigned char>(i % 2 == 1 ? 255 : 0));
    labels.push_back(static_cast<unsigned char>(i % 10));
  }
  write_idx(dir / (prefix + "-images-idx3-ubyte"), {count, 28, 28}, pixels);
  write_idx(dir / (prefix + "-labels-idx1-ubyte"), {count}, labels);
}

}  // namespace

TEST_CASE("load_fashion_mnist: the installed data set", "[datasets][fashion_mnist]") {
  if (!std::filesystem::is_directory(fashion_mnist::default_directory)) {
    WARN("Fashion-MNIST is not installed in " << fashion_mnist::default_directory
                                              << " (Debian package dataset-fashion-mnist); skipped");
    SUCCEED();
    return;
  }
  const fashion_mnist data = st::datasets::load_fashion_mnist();
  REQUIRE(data.train_images.dims() == st::extents<2>{60000, 784});
  REQUIRE(data.train_labels.dims() == st::extents<1>{60000});
  REQUIRE(data.test_images.dims() == st::extents<2>{10000, 784});
  REQUIRE(data.test_labels.dims() == st::extents<1>{10000});

  std::array<int, 10> train_counts{}, test_counts{};
  for (std::int32_t label : data.train_labels) ++train_counts.at(std::size_t(label));
  for (std::int32_t label : data.test_labels) ++test_counts.at(std::size_t(label));
  for (std::size_t c = 0; c < 10; ++c) {
    INFO("class " << c);
    CHECK(train_counts[c] == 6000);
    CHECK(test_counts[c] == 1000);
  }
  CHECK(data.train_labels(0) == 9);
  CHECK(fashion_mnist::class_names[std::size_t(data.train_labels(0))] == "Ankle boot");
  CHECK(data.test_labels(0) == 9);

  CHECK(data.train_images.flat().minCoeff() == 0.0f);
  CHECK(data.train_images.flat().maxCoeff() == 1.0f);
  CHECK(data.test_images.flat().minCoeff() == 0.0f);
  CHECK(data.test_images.flat().maxCoeff() <= 1.0f);
  // The first training image: its pixels sum to 76247 / 255.
  double first_sum = 0;
  for (st::index p = 0; p < 784; ++p) first_sum += data.train_images(0, p);
  CHECK(first_sum == Approx(76247.0 / 255).epsilon(1e-6));

  const fashion_mnist quick = st::datasets::load_fashion_mnist(fashion_mnist::default_directory, 100);
  CHECK(quick.train_images.dims() == st::extents<2>{100, 784});
  CHECK(quick.test_labels.dims() == st::extents<1>{100});
  CHECK(quick.train_labels(0) == 9);
}

TEST_CASE("load_fashion_mnist: small files, limit, and the loader's checks", "[datasets][fashion_mnist]") {
  const scratch_directory dir;
  write_split(dir.path, "train", 12);
  write_split(dir.path, "t10k", 3);

  SECTION("values and limit") {
    const fashion_mnist data = st::datasets::load_fashion_mnist(dir.path);
    REQUIRE(data.train_images.dims() == st::extents<2>{12, 784});
    REQUIRE(data.test_labels.dims() == st::extents<1>{3});
    CHECK(data.train_images(0, 0) == 0.0f);
    CHECK(data.train_images(1, 783) == 1.0f);
    CHECK(data.train_labels(11) == 1);
    const fashion_mnist limited = st::datasets::load_fashion_mnist(dir.path, 5);
    CHECK(limited.train_images.dims() == st::extents<2>{5, 784});
    CHECK(limited.test_images.dims() == st::extents<2>{3, 784});
    CHECK(st::datasets::load_fashion_mnist(dir.path, 0).train_labels.size() == 0);
    REQUIRE_THROWS_AS(st::datasets::load_fashion_mnist(dir.path, -1), std::invalid_argument);
  }
  SECTION("a missing directory or file") {
    REQUIRE_THROWS_AS(st::datasets::load_fashion_mnist(dir.path / "nowhere"), st::data_error);
    REQUIRE_THROWS_WITH(st::datasets::load_fashion_mnist(dir.path / "nowhere"),
                        Contains("nowhere") && Contains("dataset-fashion-mnist"));
    std::filesystem::remove(dir.path / "t10k-labels-idx1-ubyte");
    REQUIRE_THROWS_WITH(st::datasets::load_fashion_mnist(dir.path),
                        Contains("t10k-labels-idx1-ubyte.gz") && Contains("no such file"));
  }
  SECTION("images that are not 28x28") {
    write_idx(dir.path / "train-images-idx3-ubyte", {2, 27, 28}, std::vector<unsigned char>(2 * 27 * 28));
    REQUIRE_THROWS_AS(st::datasets::load_fashion_mnist(dir.path), st::data_error);
    REQUIRE_THROWS_WITH(st::datasets::load_fashion_mnist(dir.path),
                        Contains("train-images-idx3-ubyte: byte 4") && Contains("(N, 28, 28), found (2, 27, 28)"));
  }
  SECTION("as many labels as images") {
    write_split(dir.path, "train", 12);
    write_idx(dir.path / "train-labels-idx1-ubyte", {11}, std::vector<unsigned char>(11));
    REQUIRE_THROWS_WITH(st::datasets::load_fashion_mnist(dir.path),
                        Contains("expected as many labels as images, found 12 images") && Contains("and 11 labels"));
  }
  SECTION("labels in 0..9") {
    write_idx(dir.path / "t10k-labels-idx1-ubyte", {3}, {1, 10, 2});
    REQUIRE_THROWS_AS(st::datasets::load_fashion_mnist(dir.path), st::data_error);
    REQUIRE_THROWS_WITH(st::datasets::load_fashion_mnist(dir.path),
                        Contains("t10k-labels-idx1-ubyte: byte 9: expected a class label in 0..9, found 10"));
  }
}
