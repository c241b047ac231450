#pragma once
/// \file Numeric CSV files read into a float matrix with named columns.
///
/// Every field must be a finite number (`std::from_chars`; spaces around it, a leading `+` and
/// double quotes are accepted, CRLF line endings too). A non-numeric, empty, NaN or infinite
/// field, or a row with a different field count, throws `strata::data_error` naming
/// `path:line:column`.
///
///     auto table = strata::io::read_csv("iris.csv");                          // header: names
///     auto x = table.select({"sepal_length", "sepal_width"});                 // (rows, 2)
///     auto y = table.column("species");                                       // (rows,)
///     auto raw = strata::io::read_csv("points.tsv", {.delimiter = '\t', .header = false});  // "0", "1", ...

#include <algorithm>
#include <charconv>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <ranges>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "strata/core/dims.hpp"
#include "strata/core/error.hpp"
#include "strata/core/shape.hpp"
#include "strata/tensor/tensor.hpp"

namespace strata::io {

/// How `read_csv` reads a file. Without a header the columns are named "0", "1", ...
struct csv_options {
  char delimiter = ',';
  bool header = true;
};

/// A numeric table: column names and a rows × columns matrix of values.
struct csv_table {
  std::vector<std::string> columns;
  tensor<float, shape<dyn, dyn>> values;

  /// The position of column `name`; std::out_of_range naming it and listing the columns if absent.
  [[nodiscard]] index column_index(std::string_view name) const {
    const auto found = std::find(columns.begin(), columns.end(), name);
    if (found == columns.end())
      throw std::out_of_range(fmt::format("strata: the CSV table has no column '{}'; its columns are '{}'", name,
                                          fmt::join(columns, "', '")));
    return found - columns.begin();
  }

  /// The values of one column.
  [[nodiscard]] tensor<float, shape<dyn>> column(std::string_view name) const {
    const index source = column_index(name);
    const index rows = values.dim(0);
    tensor<float, shape<dyn>> result(extents<1>{rows});  // not ({rows}): that is a 1-element list
    for (index row = 0; row < rows; ++row) result(row) = values(row, source);
    return result;
  }

  /// The values of the named columns, in the order given: rows × names.
  template <std::ranges::input_range Names>
    requires std::convertible_to<std::ranges::range_reference_t<Names>, std::string_view>
  [[nodiscard]] tensor<float, shape<dyn, dyn>> select(const Names& names) const {
    return selected(names);
  }
  [[nodiscard]] tensor<float, shape<dyn, dyn>> select(std::initializer_list<std::string_view> names) const {
    return selected(names);
  }

 private:
  template <class Names>
  [[nodiscard]] tensor<float, shape<dyn, dyn>> selected(const Names& names) const {
    std::vector<index> sources;
    for (const auto& name : names) sources.push_back(column_index(name));
    const index rows = values.dim(0);
    tensor<float, shape<dyn, dyn>> result(extents<2>{rows, static_cast<index>(sources.size())});
    for (index row = 0; row < rows; ++row)
      for (std::size_t i = 0; i < sources.size(); ++i) result(row, i) = values(row, sources[i]);
    return result;
  }
};

namespace detail {

/// One field of a line: its text (unquoted, without surrounding blanks) and its 1-based column.
struct csv_field {
  std::string text;
  index column;
};

/// Splits lines into fields and fields into numbers, throwing `data_error` at `path:line:column`.
class csv_parser {
 public:
  csv_parser(std::string path, char delimiter) : path_(std::move(path)), delimiter_(delimiter) {}

  [[noreturn]] void fail(index line, index column, const std::string& what) const {
    throw data_error(fmt::format("strata: {}:{}:{}: {}", path_, line, column, what));
  }

  /// The fields of `text` (one line without its line ending); `line` is its 1-based number.
  [[nodiscard]] std::vector<csv_field> split(std::string_view text, index line) const {
    std::vector<csv_field> fields;
    std::size_t at = 0;
    while (true) {
      at = skip_blanks(text, at);
      csv_field field{"", static_cast<index>(at) + 1};
      if (at < text.size() && text[at] == '"') {
        // A quoted field ends at the next lone quote; "" inside stands for one quote.
        for (++at;; ++at) {
          if (at >= text.size()) fail(line, field.column, "expected a closing '\"', found the end of the line");
          if (text[at] != '"') {
            field.text += text[at];
          } else if (at + 1 < text.size() && text[at + 1] == '"') {
            field.text += '"';
            ++at;
          } else {
            break;
          }
        }
        at = skip_blanks(text, at + 1);
        if (at < text.size() && text[at] != delimiter_)
          fail(line, static_cast<index>(at) + 1,
               fmt::format("expected '{}' after a quoted field, found '{}'", delimiter_, text[at]));
      } else {
        const std::size_t end = std::min(text.find(delimiter_, at), text.size());
        std::size_t last = end;
        while (last > at && is_blank(text[last - 1])) --last;
        field.text = text.substr(at, last - at);
        at = end;
      }
      fields.push_back(std::move(field));
      if (at >= text.size()) return fields;
      ++at;  // the delimiter
    }
  }

  /// A finite float; "nan" and "inf", which std::from_chars accepts, are rejected as bad data.
  [[nodiscard]] float number(const csv_field& field, index line) const {
    std::string_view text = field.text;  // blanks inside quotes are dropped too
    text.remove_prefix(std::min(text.find_first_not_of(" \t"), text.size()));
    text.remove_suffix(text.size() - std::min(text.find_last_not_of(" \t") + 1, text.size()));
    if (text.empty()) fail(line, field.column, "expected a number, found an empty field");
    const char* first = text.data();
    const char* last = first + text.size();
    if (*first == '+' && last - first > 1 && first[1] != '-') ++first;  // from_chars has no '+'
    float value = 0;
    const auto [end, error] = std::from_chars(first, last, value);
    if (error == std::errc::result_out_of_range)
      fail(line, field.column, fmt::format("expected a number in float's range, found '{}'", field.text));
    if (error != std::errc{} || end != last)
      fail(line, field.column, fmt::format("expected a number, found '{}'", field.text));
    if (!std::isfinite(value))
      fail(line, field.column,
           fmt::format("expected a number, found '{}' (NaN and infinity are rejected)", field.text));
    return value;
  }

 private:
  // Tab is a blank unless it is the delimiter (else empty tab-separated fields would vanish).
  [[nodiscard]] bool is_blank(char c) const { return c == ' ' || (c == '\t' && delimiter_ != '\t'); }
  [[nodiscard]] std::size_t skip_blanks(std::string_view text, std::size_t at) const {
    while (at < text.size() && is_blank(text[at])) ++at;
    return at;
  }

  std::string path_;
  char delimiter_;
};

/// The lines of `text` without their line endings ("\n" or "\r\n"); a final line ending ends
/// the last line rather than starting an empty one.
inline std::vector<std::string_view> csv_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t end = std::min(text.find('\n', at), text.size());
    std::string_view line = text.substr(at, end - at);
    if (line.ends_with('\r')) line.remove_suffix(1);
    lines.push_back(line);
    at = end + 1;
  }
  return lines;
}

}  // namespace detail

/// Reads a numeric CSV file: with `options.header`, the first line names the columns (unique
/// names); every other line is a row of as many numbers.
inline csv_table read_csv(const std::filesystem::path& path, csv_options options = {}) {
  const std::string name = path.string();
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error))
    throw data_error(
        fmt::format("strata: {}: expected a CSV file, found {}", name,
                    std::filesystem::exists(path, error) ? "something that is not a regular file" : "no such file"));
  std::ifstream stream(path, std::ios::binary);
  if (!stream) throw data_error(fmt::format("strata: {}: the file cannot be opened", name));
  const std::string text{std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>()};
  std::string_view content = text;
  if (content.starts_with("\xEF\xBB\xBF")) content.remove_prefix(3);  // the UTF-8 mark some editors write

  const detail::csv_parser parser(name, options.delimiter);
  const std::vector<std::string_view> lines = detail::csv_lines(content);
  if (lines.empty())
    parser.fail(1, 1, fmt::format("expected {}, found an empty file", options.header ? "a header line" : "a row"));

  csv_table table;
  std::size_t first_row = 0;
  if (options.header) {
    for (auto& field : parser.split(lines[0], 1)) {
      if (std::find(table.columns.begin(), table.columns.end(), field.text) != table.columns.end())
        parser.fail(1, field.column, fmt::format("expected unique column names, found '{}' twice", field.text));
      table.columns.push_back(std::move(field.text));
    }
    first_row = 1;
  } else {
    const auto count = parser.split(lines[0], 1).size();
    for (std::size_t i = 0; i < count; ++i) table.columns.push_back(fmt::format("{}", i));
  }

  const auto columns = static_cast<index>(table.columns.size());
  std::vector<float> values;
  values.reserve((lines.size() - first_row) * table.columns.size());
  for (std::size_t i = first_row; i < lines.size(); ++i) {
    const auto line = static_cast<index>(i) + 1;
    const std::vector<detail::csv_field> fields = parser.split(lines[i], line);
    if (static_cast<index>(fields.size()) != columns) {
      const index column = fields.size() > table.columns.size() ? fields[table.columns.size()].column
                                                                : static_cast<index>(lines[i].size()) + 1;
      parser.fail(line, column,
                  fmt::format("expected {} fields as in the {}, found {}", columns,
                              options.header ? "header" : "first row", fields.size()));
    }
    for (const auto& field : fields) values.push_back(parser.number(field, line));
  }

  const auto rows = static_cast<index>(lines.size() - first_row);
  table.values.resize(extents<2>{rows, columns});
  std::copy(values.begin(), values.end(), table.values.begin());
  return table;
}

}  // namespace strata::io
