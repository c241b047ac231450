#pragma once
/// \file IDX files (the MNIST format), raw or gzip-compressed, read into tensors.
///
/// An IDX file is the magic `00 00 <type> <ndims>`, then `ndims` big-endian uint32 extents, then
/// the elements, big-endian: type 08 ubyte, 09 sbyte, 0b short, 0c int, 0d float, 0e double.
/// Every malformed file (truncated, trailing bytes, unknown type, overflowing extents, a corrupt
/// gzip stream) throws `strata::data_error` naming the file and the byte offset.
///
///     auto images = strata::io::read_idx<std::int32_t, 3>("train-images-idx3-ubyte.gz");  // (60000, 28, 28)
///     auto flat = strata::io::read_idx_flat<float>("train-images-idx3-ubyte.gz", 1.0f / 255);  // (60000, 784)

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include <fmt/format.h>
#include <zlib.h>

#include "strata/core/dims.hpp"
#include "strata/core/error.hpp"
#include "strata/core/shape.hpp"
#include "strata/tensor/tensor.hpp"

namespace strata::io {

namespace detail {

template <std::size_t Rank>
constexpr extents<Rank> all_dyn() {
  extents<Rank> dims{};
  dims.fill(dyn);
  return dims;
}

}  // namespace detail

/// The shape of rank `Rank` whose extents are all `dyn`: `dyn_shape<3>` is `shape<dyn, dyn, dyn>`.
template <std::size_t Rank>
using dyn_shape = shape_from<detail::all_dyn<Rank>()>;

namespace detail {

/// IDX allows up to 255 dimensions; more than 8 is a corrupt header rather than real data.
inline constexpr std::size_t idx_max_rank = 8;
/// Deflate cannot compress better than about 1032:1, so a gzip file of n bytes holds at most
/// 1032·n bytes: a cap on what its header may declare, checked before anything is allocated.
inline constexpr index gzip_max_ratio = 1032;

/// Calls `visit(std::type_identity<Source>{})` with the C++ type of an IDX type code; false when
/// the code is unknown.
template <class Visitor>
bool visit_idx_type(unsigned char code, Visitor&& visit) {
  switch (code) {
    case 0x08: visit(std::type_identity<std::uint8_t>{}); return true;
    case 0x09: visit(std::type_identity<std::int8_t>{}); return true;
    case 0x0B: visit(std::type_identity<std::int16_t>{}); return true;
    case 0x0C: visit(std::type_identity<std::int32_t>{}); return true;
    case 0x0D: visit(std::type_identity<float>{}); return true;
    case 0x0E: visit(std::type_identity<double>{}); return true;
    default: return false;
  }
}

/// A whole IDX file in memory: the header decoded, the elements still big-endian bytes.
struct idx_file {
  std::string path;
  bool compressed = false;
  unsigned char type = 0;
  std::vector<index> dims;
  index element_bytes = 0;
  std::vector<unsigned char> data;

  [[nodiscard]] index header_bytes() const { return 4 + 4 * static_cast<index>(dims.size()); }
  /// The dims as `format_dims` writes them: (60000, 28, 28), (60000,).
  [[nodiscard]] std::string dims_text() const {
    return fmt::format("({}{})", fmt::join(dims, ", "), dims.size() == 1 ? "," : "");
  }

  /// "byte N", in the decompressed stream when the file is gzip-compressed.
  [[nodiscard]] std::string position(index byte) const {
    return compressed ? fmt::format("byte {} of the decompressed data", byte) : fmt::format("byte {}", byte);
  }
  [[noreturn]] void fail(index byte, const std::string& what) const {
    throw data_error(fmt::format("strata: {}: {}: {}", path, position(byte), what));
  }
};

/// A gzFile that closes itself. zlib reads a file without the gzip magic as is, so one reader
/// serves raw and compressed files.
class gzip_reader {
 public:
  gzip_reader(const idx_file& file, const std::filesystem::path& path)
      : file_(file), handle_(gzopen(path.string().c_str(), "rb")) {
    if (handle_ == nullptr) throw data_error(fmt::format("strata: {}: the file cannot be opened", file.path));
    gzbuffer(handle_, 1u << 17);
  }
  gzip_reader(const gzip_reader&) = delete;
  gzip_reader& operator=(const gzip_reader&) = delete;
  ~gzip_reader() { gzclose(handle_); }

  /// Reads up to `count` bytes; fewer only at the end of the data.
  index read(unsigned char* out, index count) {
    index total = 0;
    while (total < count) {
      const auto chunk = static_cast<unsigned>(std::min<index>(count - total, index{1} << 30));
      const int got = gzread(handle_, out + total, chunk);
      if (got < 0) {
        int code = Z_OK;
        std::string_view message = gzerror(handle_, &code);
        if (message.starts_with(file_.path + ": ")) message.remove_prefix(file_.path.size() + 2);  // said already
        throw data_error(
            fmt::format("strata: {}: expected a valid gzip stream, found a corrupt one after {} "
                        "decompressed bytes ({})",
                        file_.path, offset_ + total, message));
      }
      if (got == 0) break;
      total += got;
    }
    offset_ += total;
    return total;
  }

  /// True after the end of the data when the gzip stream stopped before its end marker.
  [[nodiscard]] bool truncated() {
    int code = Z_OK;
    gzerror(handle_, &code);
    return code == Z_BUF_ERROR;
  }

 private:
  const idx_file& file_;
  gzFile handle_;
  index offset_ = 0;
};

/// Reads and validates an IDX file; the elements are left as big-endian bytes for `convert`.
inline idx_file read_idx_file(const std::filesystem::path& path) {
  idx_file file;
  file.path = path.string();
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (!std::filesystem::exists(status))
    throw data_error(fmt::format("strata: {}: expected an IDX file, found no such file", file.path));
  if (!std::filesystem::is_regular_file(status))
    throw data_error(
        fmt::format("strata: {}: expected an IDX file, found something that is not a regular file", file.path));
  const auto file_size = static_cast<index>(std::filesystem::file_size(path, error));
  if (error) throw data_error(fmt::format("strata: {}: the file size cannot be read ({})", file.path, error.message()));

  std::array<unsigned char, 2> magic{};
  {
    std::ifstream stream(path, std::ios::binary);
    if (!stream) throw data_error(fmt::format("strata: {}: the file cannot be opened", file.path));
    stream.read(reinterpret_cast<char*>(magic.data()), 2);
  }
  if (file_size < 2) file.fail(0, fmt::format("expected a 4-byte IDX header, found {} bytes", file_size));
  file.compressed = magic[0] == 0x1F && magic[1] == 0x8B;
  if (!file.compressed && (magic[0] != 0 || magic[1] != 0))
    file.fail(0, fmt::format("expected the IDX magic 00 00 or the gzip magic 1f 8b, found {:02x} {:02x}", magic[0],
                             magic[1]));

  gzip_reader reader(file, path);
  const auto truncation = [&] { return reader.truncated() ? " (the gzip stream is truncated)" : ""; };

  std::array<unsigned char, 4> header{};
  if (const index got = reader.read(header.data(), 4); got < 4)
    file.fail(0, fmt::format("expected a 4-byte IDX header, found {} bytes{}", got, truncation()));
  if (header[0] != 0 || header[1] != 0)
    file.fail(0, fmt::format("expected the IDX magic 00 00, found {:02x} {:02x}", header[0], header[1]));
  file.type = header[2];
  if (!visit_idx_type(file.type, [&]<class S>(std::type_identity<S>) { file.element_bytes = sizeof(S); }))
    file.fail(2, fmt::format("expected an IDX type code (08 ubyte, 09 sbyte, 0b short, 0c int, 0d float, 0e double), "
                             "found {:02x}",
                             file.type));
  const std::size_t rank = header[3];
  if (rank == 0 || rank > idx_max_rank)
    file.fail(3, fmt::format("expected 1 to {} dimensions, found {}", idx_max_rank, rank));

  std::array<unsigned char, 4 * idx_max_rank> dim_bytes{};
  const auto dims_size = static_cast<index>(4 * rank);
  if (const index got = reader.read(dim_bytes.data(), dims_size); got < dims_size)
    file.fail(4 + got, fmt::format("expected {} bytes of dimensions, found {}{}", dims_size, got, truncation()));
  // Zero extents count as 1 in the overflow check, so every partial product (the columns of
  // `read_idx_flat`) fits too.
  index bound = file.element_bytes;
  bool overflow = false;
  for (std::size_t axis = 0; axis < rank; ++axis) {
    const unsigned char* b = &dim_bytes[4 * axis];
    const auto extent = static_cast<index>(std::uint32_t{b[0]} << 24 | std::uint32_t{b[1]} << 16 |
                                           std::uint32_t{b[2]} << 8 | std::uint32_t{b[3]});
    file.dims.push_back(extent);
    overflow = overflow || __builtin_mul_overflow(bound, std::max<index>(extent, 1), &bound);
  }
  const bool empty = std::find(file.dims.begin(), file.dims.end(), 0) != file.dims.end();
  const index data_bytes = empty ? 0 : bound;
  const index header_bytes = file.header_bytes();
  const std::string dims_text = file.dims_text();
  if (overflow)
    file.fail(4, fmt::format("expected dimensions whose size fits in 64 bits, found {} of {}-byte elements", dims_text,
                             file.element_bytes));

  // Nothing is allocated for more data than the file can hold.
  if (!file.compressed && data_bytes > file_size - header_bytes)
    file.fail(file_size, fmt::format("expected {} bytes of data for dimensions {}, found {}", data_bytes, dims_text,
                                     file_size - header_bytes));
  index capacity = 0;
  if (file.compressed && (__builtin_mul_overflow(file_size, gzip_max_ratio, &capacity) || data_bytes > capacity))
    file.fail(header_bytes, fmt::format("expected at most {} bytes of data in a gzip file of {} bytes, found "
                                        "dimensions {} that declare {}",
                                        capacity, file_size, dims_text, data_bytes));

  // A compressed file grows its buffer only as real data arrives (at most twice what it holds).
  index received = 0;
  while (received < data_bytes) {
    const index target =
        file.compressed ? std::min(data_bytes, std::max<index>(2 * received, index{1} << 20)) : data_bytes;
    file.data.resize(static_cast<std::size_t>(target));
    received += reader.read(file.data.data() + received, target - received);
    if (received < target) break;
  }
  if (received < data_bytes)
    file.fail(header_bytes + received, fmt::format("expected {} bytes of data for dimensions {}, found {}{}",
                                                   data_bytes, dims_text, received, truncation()));

  std::array<unsigned char, 4096> rest{};
  index extra = 0;
  for (index got; (got = reader.read(rest.data(), static_cast<index>(rest.size()))) > 0;) extra += got;
  if (extra > 0)
    file.fail(header_bytes + data_bytes,
              fmt::format("expected the end of the data after {} bytes for dimensions {}, found {} more bytes",
                          data_bytes, dims_text, extra));
  if (reader.truncated())
    file.fail(header_bytes + data_bytes, "expected the end of the gzip stream, found a truncated stream");
  return file;
}

/// The big-endian element at `bytes`.
template <class Source>
Source decode(const unsigned char* bytes) {
  if constexpr (sizeof(Source) == 1) {
    return std::bit_cast<Source>(bytes[0]);
  } else {
    using bits = std::conditional_t<sizeof(Source) == 2, std::uint16_t,
                                    std::conditional_t<sizeof(Source) == 4, std::uint32_t, std::uint64_t>>;
    bits value = 0;
    for (std::size_t i = 0; i < sizeof(Source); ++i) value = static_cast<bits>(value << 8 | bits{bytes[i]});
    return std::bit_cast<Source>(value);
  }
}

template <element T, class Source>
[[noreturn]] void fail_element(Source value, T scale, const idx_file& file, index element) {
  file.fail(
      file.header_bytes() + element * file.element_bytes,
      fmt::format("expected a value that fits the tensor's element type, found {} (times scale {})", value, scale));
}

/// `value · scale` as a `T`; a value that `T` cannot hold throws rather than being undefined behaviour.
template <element T, class Source>
T convert_element(Source value, T scale, const idx_file& file, index element) {
  if constexpr (std::floating_point<T>) {
    if constexpr (sizeof(Source) > sizeof(T) && std::floating_point<Source>) {
      if (std::isfinite(value) && !(std::abs(value) <= std::numeric_limits<T>::max()))
        fail_element(value, scale, file, element);
    }
    return static_cast<T>(value) * scale;
  } else if constexpr (std::floating_point<Source>) {
    const double product = static_cast<double>(value) * static_cast<double>(scale);
    constexpr double low = static_cast<double>(std::numeric_limits<T>::min());           // -2^31 or -2^63, exact
    if (!(product >= low && product < -low)) fail_element(value, scale, file, element);  // NaN fails too
    return static_cast<T>(product);
  } else {
    T result{};
    if (__builtin_mul_overflow(value, scale, &result)) fail_element(value, scale, file, element);
    return result;
  }
}

/// Converts elements [first, first + count) of `file` into `out`, each times `scale`.
template <element T>
void convert(const idx_file& file, index first, index count, T* out, T scale) {
  visit_idx_type(file.type, [&]<class Source>(std::type_identity<Source>) {
    const unsigned char* bytes = file.data.data() + first * index{sizeof(Source)};
    for (index i = 0; i < count; ++i, bytes += sizeof(Source))
      out[i] = convert_element(decode<Source>(bytes), scale, file, first + i);
  });
}

}  // namespace detail

/// Reads an IDX file (raw or gzip) of exactly `Rank` dimensions, converting its elements to `T`.
///
///     auto labels = strata::io::read_idx<std::int32_t, 1>("train-labels-idx1-ubyte.gz");  // (60000,)
template <element T, std::size_t Rank>
tensor<T, dyn_shape<Rank>> read_idx(const std::filesystem::path& path) {
  static_assert(Rank >= 1 && Rank <= detail::idx_max_rank, "strata: an IDX file has 1 to 8 dimensions");
  const detail::idx_file file = detail::read_idx_file(path);
  if (file.dims.size() != Rank) file.fail(3, fmt::format("expected {} dimensions, found {}", Rank, file.dims.size()));
  extents<Rank> dims{};
  std::copy(file.dims.begin(), file.dims.end(), dims.begin());
  tensor<T, dyn_shape<Rank>> result(dims);
  detail::convert(file, 0, result.size(), result.data(), T(1));
  return result;
}

/// Reads an IDX file of any rank as a matrix: the first axis kept, the others flattened (images
/// (N, 28, 28) become (N, 784); a rank-1 file becomes (N, 1)), every element times `scale`.
///
///     auto images = strata::io::read_idx_flat<float>("t10k-images-idx3-ubyte.gz", 1.0f / 255);  // in [0, 1]
template <element T>
tensor<T, shape<dyn, dyn>> read_idx_flat(const std::filesystem::path& path, T scale = 1) {
  const detail::idx_file file = detail::read_idx_file(path);
  index columns = 1;
  for (std::size_t axis = 1; axis < file.dims.size(); ++axis) columns *= file.dims[axis];  // cannot overflow
  tensor<T, shape<dyn, dyn>> result(extents<2>{file.dims[0], columns});
  detail::convert(file, 0, result.size(), result.data(), scale);
  return result;
}

}  // namespace strata::io
