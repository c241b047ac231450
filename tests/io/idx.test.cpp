// Tests of strata/io/idx.hpp: IDX files of every type code, raw and gzip-compressed, read whole
// or flattened and scaled; every malformed file throws data_error naming the path and the byte.

#include "support/strata_test.hpp"

#include <bit>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include <zlib.h>

#include <strata/io/idx.hpp>

namespace st = strata;
using Catch::Contains;
using st::dyn;
using st::shape;

namespace {

using bytes = std::vector<unsigned char>;

/// A fresh directory under the system's temporary one, removed with everything in it.
struct scratch_directory {
  std::filesystem::path path;
  explicit scratch_directory(const std::string& name)
      : path(std::filesystem::temp_directory_path() / fmt::format("strata_{}_{}", name, std::random_device{}())) {
    std::filesystem::create_directories(path);
  }
  scratch_directory(const scratch_directory&) = delete;
  scratch_directory& operator=(const scratch_directory&) = delete;
  ~scratch_directory() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  [[nodiscard]] std::filesystem::path operator/(const std::string& name) const { return path / name; }
};

/// Appends `value` big-endian.
template <class T>
void append(bytes& out, T value) {
  using bits = std::conditional_t<sizeof(T) == 1, std::uint8_t,
                                  std::conditional_t<sizeof(T) == 2, std::uint16_t,
                                                     std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>>>;
  const auto raw = std::bit_cast<bits>(value);
  for (int shift = 8 * int(sizeof(T)) - 8; shift >= 0; shift -= 8)
    out.push_back(static_cast<unsigned char>(raw >> shift));
}

/// An IDX file: the magic, the type code, the dims, then `values` as `T`.
template <class T>
bytes idx(unsigned char type, const std::vector<std::uint32_t>& dims, const std::vector<T>& values) {
  bytes out{0, 0, type, static_cast<unsigned char>(dims.size())};
  for (std::uint32_t d : dims) append(out, d);
  for (T v : values) append(out, v);
  return out;
}

void write(const std::filesystem::path& path, const bytes& content) {
  std::ofstream stream(path, std::ios::binary);
  stream.write(reinterpret_cast<const char*>(content.data()), static_cast<std::streamsize>(content.size()));
}

void write_gzip(const std::filesystem::path& path, const bytes& content) {
  gzFile file = gzopen(path.string().c_str(), "wb");
  REQUIRE(file != nullptr);
  if (!content.empty()) REQUIRE(gzwrite(file, content.data(), static_cast<unsigned>(content.size())) > 0);
  REQUIRE(gzclose(file) == Z_OK);
}

bytes read_bytes(const std::filesystem::path& path) {
  std::ifstream stream(path, std::ios::binary);
  return bytes(std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>());
}

const std::vector<std::uint8_t> counting{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255};

}  // namespace

TEST_CASE("read_idx: ubyte images of rank 3, raw and gzip-compressed", "[io][idx]") {
  const scratch_directory dir("idx_images");
  const auto content = idx<std::uint8_t>(0x08, {2, 2, 3}, counting);
  write(dir / "images.idx", content);
  write_gzip(dir / "images.idx.gz", content);

  for (const char* name : {"images.idx", "images.idx.gz"}) {
    INFO(name);
    const auto images = st::io::read_idx<float, 3>(dir / name);
    static_assert(std::is_same_v<decltype(images), const st::tensor<float, shape<dyn, dyn, dyn>>>);
    REQUIRE(images.dims() == st::extents<3>{2, 2, 3});
    CHECK(images(0, 0, 0) == 0.0f);
    CHECK(images(0, 1, 2) == 5.0f);
    CHECK(images(1, 1, 2) == 255.0f);
    const auto as_integers = st::io::read_idx<std::int32_t, 3>(dir / name);
    CHECK(as_integers(1, 0, 1) == 7);
  }
  static_assert(std::is_same_v<st::io::dyn_shape<1>, shape<dyn>>);
  static_assert(std::is_same_v<st::io::dyn_shape<4>, shape<dyn, dyn, dyn, dyn>>);
}

TEST_CASE("read_idx: every type code, big-endian", "[io][idx]") {
  const scratch_directory dir("idx_types");

  SECTION("09 sbyte") {
    write(dir / "a.idx", idx<std::int8_t>(0x09, {3}, {-128, -1, 127}));
    const auto t = st::io::read_idx<std::int32_t, 1>(dir / "a.idx");
    CHECK(t(0) == -128);
    CHECK(t(1) == -1);
    CHECK(t(2) == 127);
  }
  SECTION("0b short") {
    write(dir / "a.idx", idx<std::int16_t>(0x0B, {1, 3}, {-2, 300, -32768}));
    const auto t = st::io::read_idx<double, 2>(dir / "a.idx");
    REQUIRE(t.dims() == st::extents<2>{1, 3});
    CHECK(t(0, 0) == -2.0);
    CHECK(t(0, 1) == 300.0);
    CHECK(t(0, 2) == -32768.0);
  }
  SECTION("0c int") {
    write(dir / "a.idx", idx<std::int32_t>(0x0C, {2}, {-70000, 2147483647}));
    const auto t = st::io::read_idx<std::int64_t, 1>(dir / "a.idx");
    CHECK(t(0) == -70000);
    CHECK(t(1) == 2147483647);
  }
  SECTION("0d float") {
    write_gzip(dir / "a.idx.gz", idx<float>(0x0D, {2}, {1.5f, -2.25f}));
    const auto t = st::io::read_idx<float, 1>(dir / "a.idx.gz");
    CHECK(t(0) == 1.5f);
    CHECK(t(1) == -2.25f);
  }
  SECTION("0e double") {
    write(dir / "a.idx", idx<double>(0x0E, {2}, {0.1, -3e300}));
    const auto t = st::io::read_idx<double, 1>(dir / "a.idx");
    CHECK(t(0) == 0.1);
    CHECK(t(1) == -3e300);
  }
}

TEST_CASE("read_idx_flat: first axis kept, the rest flattened, values scaled", "[io][idx]") {
  const scratch_directory dir("idx_flat");
  write_gzip(dir / "images.gz", idx<std::uint8_t>(0x08, {2, 2, 3}, counting));
  const auto flat = st::io::read_idx_flat<float>(dir / "images.gz", 1.0f / 255);
  REQUIRE(flat.dims() == st::extents<2>{2, 6});
  CHECK(flat(0, 5) == 5 * (1.0f / 255));  // times the scale, not divided by 255
  CHECK(flat(1, 5) == 1.0f);
  CHECK(flat(1, 0) == 6 * (1.0f / 255));

  write(dir / "labels", idx<std::uint8_t>(0x08, {3}, {9, 0, 4}));
  const auto labels = st::io::read_idx_flat<std::int32_t>(dir / "labels", 2);
  REQUIRE(labels.dims() == st::extents<2>{3, 1});
  CHECK(labels(0, 0) == 18);
  CHECK(labels(2, 0) == 8);

  SECTION("zero extents give an empty tensor") {
    write(dir / "empty", idx<std::uint8_t>(0x08, {0, 28, 28}, {}));
    CHECK(st::io::read_idx_flat<float>(dir / "empty").dims() == st::extents<2>{0, 784});
    CHECK(st::io::read_idx<float, 3>(dir / "empty").dims() == st::extents<3>{0, 28, 28});
  }
}

TEST_CASE("read_idx: a value the element type cannot hold throws instead of overflowing", "[io][idx]") {
  const scratch_directory dir("idx_values");
  const auto path = dir / "values.idx";
  write(path, idx<double>(0x0E, {3}, {1.0, 3e9, std::numeric_limits<double>::quiet_NaN()}));
  REQUIRE_DATA_ERROR((st::io::read_idx<std::int32_t, 1>(path)),
                     Contains(path.string()) && Contains("byte 16") && Contains("found 3000000000"));
  write(path, idx<double>(0x0E, {1}, {1e300}));
  REQUIRE_DATA_ERROR((st::io::read_idx<float, 1>(path)), Contains("byte 8") && Contains("1e+300"));
  write(path, idx<double>(0x0E, {1}, {std::numeric_limits<double>::quiet_NaN()}));
  REQUIRE_DATA_ERROR((st::io::read_idx<std::int64_t, 1>(path)), Contains("byte 8") && Contains("nan"));
  write(path, idx<std::int32_t>(0x0C, {1}, {2000000000}));
  REQUIRE_DATA_ERROR((st::io::read_idx_flat<std::int32_t>(path, 2)), Contains("byte 8") && Contains("times scale 2"));
  CHECK(st::io::read_idx_flat<std::int64_t>(path, 2)(0, 0) == 4000000000);
}

TEST_CASE("read_idx: malformed files throw data_error naming the path and the byte", "[io][idx]") {
  const scratch_directory dir("idx_errors");
  const auto path = dir / "bad.idx";
  const std::string where = path.string();
  const auto read = [&] { return st::io::read_idx<float, 3>(path); };
  const auto good = idx<std::uint8_t>(0x08, {2, 3, 4}, std::vector<std::uint8_t>(24, 7));

  SECTION("missing file") {
    REQUIRE_DATA_ERROR(read(), Contains(where) && Contains("expected an IDX file, found no such file"));
    REQUIRE_DATA_ERROR(st::io::read_idx_flat<float>(dir.path), Contains("not a regular file"));
  }
  SECTION("neither IDX nor gzip magic") {
    write(path, {'P', 'K', 3, 4, 0, 0});
    REQUIRE_DATA_ERROR(
        read(),
        Contains(where) && Contains("byte 0: expected the IDX magic 00 00 or the gzip magic 1f 8b, found 50 4b"));
  }
  SECTION("gzip holding something else than IDX") {
    write_gzip(path, {'h', 'e', 'l', 'l', 'o'});
    REQUIRE_DATA_ERROR(
        read(),
        Contains(where) && Contains("byte 0 of the decompressed data: expected the IDX magic 00 00, found 68 65"));
  }
  SECTION("unknown type code") {
    write(path, {0, 0, 0x07, 1, 0, 0, 0, 1, 42});
    REQUIRE_DATA_ERROR(read(),
                       Contains(where) && Contains("byte 2: expected an IDX type code") && Contains("found 07"));
  }
  SECTION("0 or more than 8 dimensions") {
    write(path, {0, 0, 0x08, 0});
    REQUIRE_DATA_ERROR(read(), Contains(where) && Contains("byte 3: expected 1 to 8 dimensions, found 0"));
    write(path, {0, 0, 0x08, 9});
    REQUIRE_DATA_ERROR(read(), Contains(where) && Contains("byte 3: expected 1 to 8 dimensions, found 9"));
  }
  SECTION("a rank other than the one asked for") {
    write(path, good);
    REQUIRE_DATA_ERROR((st::io::read_idx<float, 2>(path)),
                       Contains(where) && Contains("byte 3: expected 2 dimensions, found 3"));
  }
  SECTION("truncated header") {
    write(path, {0});
    REQUIRE_DATA_ERROR(read(), Contains(where) && Contains("byte 0: expected a 4-byte IDX header, found 1 bytes"));
    write(path, {0, 0, 8});
    REQUIRE_DATA_ERROR(read(), Contains(where) && Contains("byte 0: expected a 4-byte IDX header, found 3 bytes"));
    write(path, {});
    REQUIRE_DATA_ERROR(read(), Contains(where) && Contains("found 0 bytes"));
    write(path, bytes(good.begin(), good.begin() + 10));
    REQUIRE_DATA_ERROR(read(), Contains(where) && Contains("byte 10: expected 12 bytes of dimensions, found 6"));
  }
  SECTION("truncated data, raw and gzip") {
    const bytes short_data(good.begin(), good.end() - 4);
    write(path, short_data);
    REQUIRE_DATA_ERROR(
        read(), Contains(where) && Contains("byte 36: expected 24 bytes of data for dimensions (2, 3, 4), found 20"));
    write_gzip(path, short_data);
    REQUIRE_DATA_ERROR(
        read(),
        Contains(where) && Contains("byte 36 of the decompressed data: expected 24 bytes of data for dimensions "
                                    "(2, 3, 4), found 20"));
    write(path, idx<std::uint8_t>(0x08, {3}, {1, 2}));
    REQUIRE_DATA_ERROR((st::io::read_idx<float, 1>(path)),
                       Contains(where) && Contains("byte 10: expected 3 bytes of data for dimensions (3,), found 2"));
  }
  SECTION("trailing garbage, raw and gzip") {
    bytes long_data = good;
    long_data.insert(long_data.end(), {1, 2, 3});
    write(path, long_data);
    REQUIRE_DATA_ERROR(
        read(), Contains(where) && Contains("byte 40: expected the end of the data after 24 bytes for dimensions "
                                            "(2, 3, 4), found 3 more bytes"));
    write_gzip(path, long_data);
    REQUIRE_DATA_ERROR(
        read(), Contains(where) && Contains("byte 40 of the decompressed data") && Contains("found 3 more bytes"));
  }
  SECTION("dimensions whose size overflows") {
    write(path, idx<std::uint8_t>(0x0E, {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, {}));
    REQUIRE_DATA_ERROR(read(),
                       Contains(where) && Contains("byte 4: expected dimensions whose size fits in 64 bits, found "
                                                   "(4294967295, 4294967295, 4294967295) of 8-byte elements"));
    // A zero extent does not hide an overflow of the others.
    write(path, idx<std::uint8_t>(0x0E, {0, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, {}));
    REQUIRE_DATA_ERROR(read(), Contains(where) && Contains("byte 4: expected dimensions whose size fits in 64 bits"));
  }
  SECTION("huge declared sizes are refused before anything is allocated") {
    write(path, idx<std::uint8_t>(0x0E, {60000, 60000, 60000}, {}));
    REQUIRE_DATA_ERROR(read(),
                       Contains(where) && Contains("byte 16: expected 1728000000000000 bytes of data for dimensions "
                                                   "(60000, 60000, 60000), found 0"));
    write_gzip(path, idx<std::uint8_t>(0x0E, {60000, 60000, 60000}, {}));
    REQUIRE_DATA_ERROR(read(), Contains(where) && Contains("byte 16 of the decompressed data: expected at most") &&
                                   Contains("declare 1728000000000000"));
  }
  SECTION("corrupt or truncated gzip stream") {
    write_gzip(path, good);
    bytes compressed = read_bytes(path);
    REQUIRE(compressed.size() > 20);

    bytes corrupt = compressed;
    corrupt[corrupt.size() - 6] ^= 0xFF;  // the CRC-32 of the trailer
    write(path, corrupt);
    REQUIRE_DATA_ERROR(read(), Contains(where + ": expected a valid gzip stream, found a corrupt one after") &&
                                   Contains("(incorrect data check)"));

    write(path, bytes(compressed.begin(), compressed.end() - 4));  // the data complete, the trailer cut
    REQUIRE_DATA_ERROR(
        read(),
        Contains(where) && Contains("byte 40 of the decompressed data: expected the end of the gzip stream, found "
                                    "a truncated stream"));

    write(path, bytes(compressed.begin(), compressed.begin() + 14));  // cut inside the deflate data
    REQUIRE_DATA_ERROR(read(), Contains(where) && Contains("(the gzip stream is truncated)"));
  }
}
