#pragma once
/// \file Values whose rank and extents are known at run time only: what a run-time model
/// (strata::dynamic_model) takes and gives, and their JSON form `{"shape": [2, 3], "data": [...]}`.
///
///     strata::dynamic_tensor x{.shape = {2, 3}, .values = {1, 2, 3, 4, 5, 6}};
///     nlohmann::json j = x;                                 // {"shape": [2, 3], "data": [1, 2, ...]}
///     auto y = strata::read_tensor_json("input.json");      // data_error naming the file if bad

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "strata/core/dims.hpp"
#include "strata/core/error.hpp"
#include "strata/io/atomic_file.hpp"

namespace strata {

/// Row-major values with run-time extents.
struct dynamic_tensor {
  std::vector<index> shape;
  std::vector<float> values;
};

inline void to_json(nlohmann::json& json, const dynamic_tensor& tensor) {
  json = {{"shape", tensor.shape}, {"data", tensor.values}};
}

/// Reads `{"shape": [...], "data": [flat numbers]}`; std::invalid_argument naming what is wrong:
/// a missing field, an extent that is not a whole number, data that is not finite numbers, or a
/// value count that differs from the shape's.
inline void from_json(const nlohmann::json& json, dynamic_tensor& tensor) {
  if (!json.is_object() || !json.contains("shape") || !json.contains("data"))
    throw std::invalid_argument("expected an object {\"shape\": [extents], \"data\": [numbers]}");
  const auto& shape = json["shape"];
  const auto& data = json["data"];
  if (!shape.is_array()) throw std::invalid_argument(fmt::format("\"shape\" must be a list, found {}", shape.dump()));
  dynamic_tensor result;
  for (const auto& extent : shape) {
    if (!extent.is_number_integer() || extent.get<std::int64_t>() < 0 || extent.get<std::int64_t>() > (1LL << 31))
      throw std::invalid_argument(fmt::format("\"shape\" must hold whole numbers from 0 to 2^31, found {}", shape.dump()));
    result.shape.push_back(static_cast<index>(extent.get<std::int64_t>()));
  }
  // The count the data must have, with a bound checked before each step (no overflow); any 0
  // extent makes it 0. More values than data holds can never match anyway.
  const bool empty = std::find(result.shape.begin(), result.shape.end(), 0) != result.shape.end();
  index count = empty ? 0 : 1;
  for (index extent : result.shape)
    if (!empty) count = count > (index{1} << 40) / extent ? (index{1} << 40) + 1 : count * extent;
  if (!data.is_array() || static_cast<index>(data.size()) != count)
    throw std::invalid_argument(fmt::format("\"data\" must be a list of {} numbers (shape {}), found {} {}", count,
                                            shape.dump(), data.type_name(), data.is_array() ? data.size() : 0));
  result.values.reserve(data.size());
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (!data[i].is_number() || !(std::abs(data[i].get<double>()) <= std::numeric_limits<float>::max()))
      throw std::invalid_argument(
          fmt::format("\"data\"[{}] must be a finite number within float's range, found {}", i, data[i].dump()));
    result.values.push_back(data[i].get<float>());
  }
  tensor = std::move(result);
}

/// Reads a tensor from a JSON file (see from_json); strata::data_error naming the file.
inline dynamic_tensor read_tensor_json(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw data_error(fmt::format("strata: cannot open '{}'", path.string()));
  try {
    return nlohmann::json::parse(in).get<dynamic_tensor>();
  } catch (const nlohmann::json::parse_error& error) {
    throw data_error(fmt::format("strata: {}: malformed JSON at byte {}: {}", path.string(), error.byte, error.what()));
  } catch (const nlohmann::json::exception& error) {
    throw data_error(fmt::format("strata: {}: malformed JSON: {}", path.string(), error.what()));
  } catch (const std::invalid_argument& error) {
    throw data_error(fmt::format("strata: {}: {}", path.string(), error.what()));
  }
}

/// Writes a tensor as JSON, atomically.
inline void write_tensor_json(const std::filesystem::path& path, const dynamic_tensor& tensor) {
  const std::string text = nlohmann::json(tensor).dump();
  io::write_atomically(path, [&](std::ostream& out) { out << text << '\n'; });
}

}  // namespace strata
