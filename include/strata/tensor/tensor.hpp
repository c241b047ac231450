#pragma once
/// \file The owning tensor: aligned, contiguous, row-major storage with a static shape type and
/// run-time extents, plus Eigen views for kernels.
///
///     strata::tensor<float, strata::shape<2, 3>> a{{1, 2, 3}, {4, 5, 6}};
///     auto x = strata::tensor<double, strata::shape<strata::dyn, 4>>::random_normal({8, 4}, /*seed=*/1);
///     a(1, 2) = 7;

#include <cmath>
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <random>
#include <stdexcept>
#include <type_traits>

#include <Eigen/Core>
#include <fmt/format.h>

#include "strata/core/dims.hpp"
#include "strata/core/error.hpp"
#include "strata/core/shape.hpp"

namespace strata {

/// Scalar types strata computes in: float for models, double for gradient checks.
template <class T>
concept scalar = std::same_as<T, float> || std::same_as<T, double>;

/// Element types a tensor can store: the scalars, and integers for indices and labels (storage
/// only: expressions, gradients and allclose take scalars).
///
///     strata::tensor<std::int32_t, strata::shape<strata::dyn, 8>> tokens{{3, 1, 4, 1, 5, 9, 2, 6}};
template <class T>
concept element = scalar<T> || std::same_as<T, std::int32_t> || std::same_as<T, std::int64_t>;

namespace detail {

template <class T, std::size_t Rank>
struct nested_list {
  using type = std::initializer_list<typename nested_list<T, Rank - 1>::type>;
};
template <class T>
struct nested_list<T, 0> {
  using type = T;
};

/// Reads the extents of a nested initializer list along its first elements. Past an empty list
/// the extents stay as given (the static ones, 0 for `dyn`).
template <std::size_t Depth, std::size_t Rank, class List>
void list_extents(const List& list, extents<Rank>& dims) {
  if constexpr (Depth < Rank) {
    dims[Depth] = static_cast<index>(list.size());
    if (list.size() > 0) list_extents<Depth + 1>(*list.begin(), dims);
  }
}

/// Requires every sub-list to have the extents read by `list_extents` (a rectangular list).
template <std::size_t Depth, std::size_t Rank, class List>
void list_check_rectangular(const List& list, const extents<Rank>& dims) {
  if constexpr (Depth < Rank) {
    const auto count = static_cast<index>(list.size());
    if (count != dims[Depth])
      throw shape_error(fmt::format("strata: ragged initializer list: {} elements at depth {} where the first "
                                    "elements give shape {}",
                                    count, Depth, format_dims(dims)));
    for (const auto& inner : list) list_check_rectangular<Depth + 1>(inner, dims);
  }
}

template <std::size_t Depth, std::size_t Rank, class T, class List>
void list_copy(const List& list, T*& out) {
  if constexpr (Depth == Rank) {
    *out++ = static_cast<T>(list);
  } else {
    for (const auto& inner : list) list_copy<Depth + 1, Rank>(inner, out);
  }
}

}  // namespace detail

/// Marks expression nodes; see `strata/expr/node.hpp`.
struct expression_tag {};

template <class E>
concept expression = std::derived_from<std::remove_cvref_t<E>, expression_tag>;

/// An owning tensor of `T` (a scalar, or an integer for storage) with static shape `Shape`. Storage
/// is aligned for Eigen's packets and row-major; the extents of `dyn` dims are set at construction
/// (or by `resize`).
template <element T, shape_type Shape>
class tensor {
 public:
  using scalar_type = T;
  using shape_type = Shape;
  static constexpr std::size_t rank = Shape::rank;
  using extents_type = extents<rank>;
  /// The flat view: every element in row-major order.
  using flat_map = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>, Eigen::AlignedMax>;
  using const_flat_map = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>, Eigen::AlignedMax>;
  /// The canvas: a column-major (last extent) × (product of the others) array over the same memory,
  /// which is how expressions see a tensor.
  using canvas_map = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, Eigen::Dynamic>, Eigen::AlignedMax>;
  using const_canvas_map = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, Eigen::Dynamic>, Eigen::AlignedMax>;
  /// The matrix view: row-major (product of leading extents) × (last extent), for GEMM.
  using matrix_map = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>, Eigen::AlignedMax>;
  using const_matrix_map =
      Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>, Eigen::AlignedMax>;

  /// Zeros; `dyn` extents are 0 until `resize`.
  tensor() : tensor(default_extents()) {}

  tensor(const tensor&) = default;
  tensor& operator=(const tensor&) = default;
  /// A moved-from tensor is left as a default-constructed one (zeros), never without storage.
  tensor(tensor&& other) : dims_(other.dims_), data_(std::move(other.data_)) { other.reset(); }
  tensor& operator=(tensor&& other) {
    if (this != &other) {
      dims_ = other.dims_;
      data_ = std::move(other.data_);
      other.reset();
    }
    return *this;
  }
  ~tensor() = default;

  /// Zeros with the given extents; the static ones must match `Shape`.
  explicit tensor(const extents_type& dims) : dims_(checked(dims)), data_(element_count(dims_)) { data_.setZero(); }

  /// From nested braces, one level per axis: `{{1, 2, 3}, {4, 5, 6}}` for a rank-2 tensor.
  tensor(typename detail::nested_list<T, rank>::type values)
    requires(rank >= 1)
  {
    extents_type dims = default_extents();
    detail::list_extents<0>(values, dims);
    detail::list_check_rectangular<0>(values, dims);
    dims_ = checked(dims);  // a static extent the list does not have: names both shapes
    data_.resize(element_count(dims_));
    T* out = data_.data();
    detail::list_copy<0, rank>(values, out);
  }

  /// Evaluates an expression (defined in `strata/eval/evaluate.hpp`).
  template <expression E>
  tensor(const E& expression);  // NOLINT: implicit, like Eigen's evaluation on assignment
  template <expression E>
  tensor& operator=(const E& expression);

  /// Every element equal to `value`.
  static tensor full(const extents_type& dims, T value) {
    tensor result(dims);
    result.data_.setConstant(value);
    return result;
  }
  static tensor zeros(const extents_type& dims = default_extents()) { return tensor(dims); }
  static tensor ones(const extents_type& dims = default_extents()) { return full(dims, T(1)); }

  /// Normal samples, reproducible for a given seed.
  static tensor random_normal(const extents_type& dims, std::uint64_t seed, T mean = 0, T stddev = 1)
    requires scalar<T>
  {
    std::mt19937_64 engine(seed);
    std::normal_distribution<T> distribution(mean, stddev);
    return generated(dims, [&] { return distribution(engine); });
  }

  /// Uniform samples in [low, high), reproducible for a given seed.
  static tensor random_uniform(const extents_type& dims, std::uint64_t seed, T low = -1, T high = 1)
    requires scalar<T>
  {
    std::mt19937_64 engine(seed);
    std::uniform_real_distribution<T> distribution(low, high);
    return generated(dims, [&] { return distribution(engine); });
  }

  /// Sets new extents; storage is reallocated only when the element count changes. If the
  /// allocation throws, the tensor is unchanged.
  void resize(const extents_type& dims) {
    const extents_type checked_dims = checked(dims);
    if (data_.size() != element_count(checked_dims)) {
      Eigen::Array<T, Eigen::Dynamic, 1> storage(element_count(checked_dims));
      data_.swap(storage);
    }
    dims_ = checked_dims;
  }

  void fill(T value) { data_.setConstant(value); }

  /// Exchanges extents and storage with `other` (no allocation, no copy).
  void swap(tensor& other) noexcept {
    std::swap(dims_, other.dims_);
    data_.swap(other.data_);
  }

  [[nodiscard]] const extents_type& dims() const { return dims_; }
  /// The extent along `axis` (negative counts from the end); std::out_of_range outside -rank .. rank-1.
  [[nodiscard]] index dim(int axis) const {
    const int normalized = normalize_axis(axis, rank);
    if (normalized < 0)
      throw std::out_of_range(fmt::format("strata: axis {} is out of range for a tensor of rank {}", axis, rank));
    return dims_[static_cast<std::size_t>(normalized)];
  }
  [[nodiscard]] index size() const { return data_.size(); }
  [[nodiscard]] T* data() { return data_.data(); }
  [[nodiscard]] const T* data() const { return data_.data(); }
  T* begin() { return data(); }
  T* end() { return data() + size(); }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size(); }

  /// Element access, unchecked but for an assert: `t(i, j)` for rank 2.
  template <std::integral... I>
    requires(sizeof...(I) == rank)
  T& operator()(I... indices) {
    return data_[offset({static_cast<index>(indices)...})];
  }
  template <std::integral... I>
    requires(sizeof...(I) == rank)
  const T& operator()(I... indices) const {
    return data_[offset({static_cast<index>(indices)...})];
  }

  /// Element access that throws `std::out_of_range` naming the index and the shape.
  template <std::integral... I>
    requires(sizeof...(I) == rank)
  T& at(I... indices) {
    return data_[checked_offset({static_cast<index>(indices)...})];
  }
  template <std::integral... I>
    requires(sizeof...(I) == rank)
  const T& at(I... indices) const {
    return data_[checked_offset({static_cast<index>(indices)...})];
  }

  /// The single element of a tensor with one element (a scalar result).
  [[nodiscard]] T item() const {
    if (size() != 1) throw shape_error(fmt::format("strata: item() needs one element, shape is {}", format_dims(dims_)));
    return data_[0];
  }

  flat_map flat() { return flat_map(data(), size()); }
  const_flat_map flat() const { return const_flat_map(data(), size()); }
  canvas_map canvas() { return canvas_map(data(), canvas_rows(), canvas_cols()); }
  const_canvas_map canvas() const { return const_canvas_map(data(), canvas_rows(), canvas_cols()); }
  matrix_map matrix() { return matrix_map(data(), canvas_cols(), canvas_rows()); }
  const_matrix_map matrix() const { return const_matrix_map(data(), canvas_cols(), canvas_rows()); }

  [[nodiscard]] index canvas_rows() const { return rank == 0 ? 1 : dims_[rank == 0 ? 0 : rank - 1]; }
  /// The product of the leading extents (also when the last one is 0), as `canvas_of` in node.hpp.
  [[nodiscard]] index canvas_cols() const {
    index cols = 1;
    for (std::size_t i = 0; i + 1 < rank; ++i) cols *= dims_[i];
    return cols;
  }

  /// The extents a default-constructed tensor has: the static ones, 0 for `dyn`.
  static constexpr extents_type default_extents() {
    extents_type dims = Shape::dims;
    for (index& d : dims) d = d == dyn ? 0 : d;
    return dims;
  }

 private:
  static extents_type checked(const extents_type& dims) {
    index count = 1;
    for (std::size_t i = 0; i < rank; ++i) {
      if (dims[i] < 0 || (Shape::dims[i] != dyn && Shape::dims[i] != dims[i]))
        throw shape_error(fmt::format("strata: tensor of shape {} cannot have extents {}", format_dims(Shape::dims),
                                      format_dims(dims)));
      if (__builtin_mul_overflow(count, dims[i], &count))
        throw shape_error(fmt::format("strata: extents {} hold more elements than an index can count", format_dims(dims)));
    }
    return dims;
  }

  void reset() {
    dims_ = default_extents();
    data_.setZero(element_count(dims_));
  }

  template <class Generator>
  static tensor generated(const extents_type& dims, Generator&& next) {
    tensor result(dims);
    for (T& value : result) value = next();
    return result;
  }

  index offset(const extents_type& indices) const {
    index flat = 0;
    for (std::size_t i = 0; i < rank; ++i) {
      eigen_assert(indices[i] >= 0 && indices[i] < dims_[i]);
      flat = flat * dims_[i] + indices[i];
    }
    return flat;
  }

  index checked_offset(const extents_type& indices) const {
    for (std::size_t i = 0; i < rank; ++i) {
      if (indices[i] < 0 || indices[i] >= dims_[i])
        throw std::out_of_range(
            fmt::format("strata: index {} is out of range for shape {}", format_dims(indices), format_dims(dims_)));
    }
    return offset(indices);
  }

  extents_type dims_;
  Eigen::Array<T, Eigen::Dynamic, 1> data_;
};

/// numpy's `allclose`: same extents and |a - b| <= atol + rtol·|b| everywhere; NaN is never close,
/// an infinity only to the same infinity.
template <scalar T, shape_type SA, shape_type SB>
bool allclose(const tensor<T, SA>& a, const tensor<T, SB>& b, double rtol = 1e-5, double atol = 1e-8) {
  if constexpr (SA::rank != SB::rank) {
    return false;
  } else {
    if (a.dims() != b.dims()) return false;
    for (index i = 0; i < a.size(); ++i) {
      const double x = a.data()[i], y = b.data()[i];
      if (x == y) continue;  // equal infinities are close, as in numpy
      if (!std::isfinite(x) || !std::isfinite(y)) return false;  // else |x - inf| <= rtol·inf would hold
      if (!(std::abs(x - y) <= atol + rtol * std::abs(y))) return false;
    }
    return true;
  }
}

}  // namespace strata
