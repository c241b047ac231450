#pragma once
/// \file gather: rows of a (V, D) table picked by integer indices (an embedding lookup).
///
///     strata::tensor<float, strata::shape<1000, 64>> table = ...;
///     strata::tensor<std::int32_t, strata::shape<strata::dyn, 16>> tokens = ...;   // (batch, 16)
///     auto vectors = strata::gather(table, tokens);    // (None, 16, 64)
///
/// The indices are held by reference, as a tensor_ref holds a tensor: they must outlive the
/// expression, and may change values (not extents) between evaluations. Repeated indices get
/// their adjoints summed.

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "strata/expr/materialized.hpp"
#include "strata/expr/node.hpp"

namespace strata {
namespace detail {

template <class Table>
struct gather_table_must_have_rank_2 {
  static constexpr bool value = Table::rank == 2;
  static_assert(value, "strata: gather reads the rows of a rank-2 table (V, D); the table's shape is named above");
};

/// The indices' dims followed by the table's row length D.
template <shape_type Indices, shape_type Table>
struct gathered_shape {
  static constexpr auto dims = [] {
    extents<Indices::rank + 1> result{};
    for (std::size_t i = 0; i < Indices::rank; ++i) result[i] = Indices::dims[i];
    result[Indices::rank] = Table::dims[1];
    return result;
  }();
  using type = shape_from<dims>;
};

/// A table that is a tensor held by reference takes its adjoint rows straight into its gradient.
template <class Node>
struct gathers_from_tensor : std::false_type {};
template <scalar T, shape_type S>
struct gathers_from_tensor<tensor_ref<T, S>> : std::true_type {};

}  // namespace detail

/// The rows of `Table` (a (V, D) node) at the indices of a tensor of `Index`.
template <class Table, class Index, shape_type Indices>
class gather_node
    : public detail::materialized<typename Table::scalar_type,
                                  typename detail::gathered_shape<Indices, typename Table::shape_type>::type> {
  using T = typename Table::scalar_type;
  using base = detail::materialized<T, typename detail::gathered_shape<Indices, typename Table::shape_type>::type>;

 public:
  gather_node(Table table, const tensor<Index, Indices>& indices)
      : base(output_dims(indices.dims(), table.dims())),
        table_(std::move(table)),
        indices_(&indices),
        index_dims_(indices.dims()) {}

  void forward() const {
    if (indices_->dims() != index_dims_)
      throw shape_error(fmt::format("strata: the indices of gather were resized from {} to {} after the expression "
                                    "was built; build the expression again",
                                    format_dims(index_dims_), format_dims(indices_->dims())));
    table_.forward();
    const T* table = detail::materialize(table_, table_buffer_);
    T* out = this->value().data();
    const index depth = row_length();
    for (index i = 0; i < indices_->size(); ++i) std::copy_n(table + row(i) * depth, depth, out + i * depth);
  }

  [[nodiscard]] bool depends_on(const gradient_sink<T>& sink) const { return table_.depends_on(sink); }

  // d table[v] = Σ over the positions i with indices[i] = v of g[i]
  template <class Adjoint>
  void backward(const Adjoint& adjoint, const gradient_sink<T>& sink) const {
    const T* g = detail::materialize_adjoint(adjoint, this->adjoint_);
    const index depth = row_length();
    using row_map = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
    using const_row_map = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;
    if constexpr (detail::gathers_from_tensor<Table>::value) {
      // Only the gathered rows of the gradient change: no (V, D) buffer to clear and add.
      if (T* gradient = sink.find(table_.data()))
        for (index i = 0; i < indices_->size(); ++i)
          row_map(gradient + row(i) * depth, depth) += const_row_map(g + i * depth, depth);
    } else {
      const canvas_extents c = canvas_of(table_.dims());
      gradient_.setZero(c.rows, c.cols);
      for (index i = 0; i < indices_->size(); ++i) gradient_.col(row(i)) += const_row_map(g + i * depth, depth);
      table_.backward(const_canvas_map<T>(gradient_.data(), c.rows, c.cols), sink);
    }
  }

  void recycle(const gather_node& previous) const {
    this->recycle_buffers(previous);
    detail::swap_buffers(std::tie(table_buffer_, gradient_), std::tie(previous.table_buffer_, previous.gradient_));
    detail::recycle(table_, previous.table_);
  }

 private:
  static extents<base::shape_type::rank> output_dims(const extents<Indices::rank>& indices,
                                                     const extents<2>& table) {
    extents<Indices::rank + 1> dims{};
    std::copy(indices.begin(), indices.end(), dims.begin());
    dims[Indices::rank] = table[1];
    return dims;
  }

  [[nodiscard]] index row_length() const { return table_.dims()[1]; }

  // The table row of the i-th index (row-major order), checked against the table's V rows.
  [[nodiscard]] index row(index i) const {
    const auto value = static_cast<index>(indices_->data()[i]);
    const index rows = table_.dims()[0];
    if (value < 0 || value >= rows) {
      extents<Indices::rank> position{};
      for (std::size_t axis = Indices::rank, rest = std::size_t(i); axis-- > 0;) {
        position[axis] = index(rest) % index_dims_[axis];
        rest /= std::size_t(index_dims_[axis]);
      }
      throw std::out_of_range(fmt::format("strata: gather: index {} at position {} is out of range for a table of "
                                          "{} rows (valid: 0 .. {})",
                                          value, format_dims(position), rows, rows - 1));
    }
    return value;
  }

  Table table_;
  const tensor<Index, Indices>* indices_;
  extents<Indices::rank> index_dims_;
  mutable canvas_array<T> table_buffer_, gradient_;
};

/// The rows of `table` (V, D) at `indices`: shape (indices' dims..., D). Each index must lie in
/// [0, V) (std::out_of_range otherwise, naming it and its position). `indices` is held by
/// reference and must outlive the expression.
///
///     auto e = strata::gather(embeddings, tokens);   // (V, D) at (batch, T) → (batch, T, D)
template <node_operand Table, class Index, shape_type S>
auto gather(Table&& table, const tensor<Index, S>& indices) {
  static_assert(std::same_as<Index, std::int32_t> || std::same_as<Index, std::int64_t>,
                "strata: gather needs integer indices (std::int32_t or std::int64_t)");
  using node = node_of<scalar_of<Table>, Table>;
  if constexpr (std::same_as<Index, std::int32_t> || std::same_as<Index, std::int64_t>) {
    if constexpr (detail::gather_table_must_have_rank_2<typename node::shape_type>::value) {
      return gather_node<node, Index, S>(as_node(std::forward<Table>(table)), indices);
    }
  }
}

}  // namespace strata
