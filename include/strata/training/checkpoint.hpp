#pragma once
/// \file Checkpoints: a model's variables and, optionally, its optimizer's state and step count,
/// in one file written atomically, read back into a model of the same structure.
///
///     strata::save_checkpoint("run/epoch3.ckpt", model, optimizer);
///     strata::load_checkpoint("run/epoch3.ckpt", model, optimizer);   // resumes where it was
///
/// Format: the line "strata-checkpoint 1", a line of JSON describing the contents
/// (`{"variables": [{"name", "shape", "dtype"}...], "optimizer": {"class_name", "iterations",
/// "slots": [{"name", "size"}...]}, "data_bytes": N}`), then the values of every variable and
/// then every optimizer slot, row-major, little-endian, in that order. Saving refuses NaN or
/// infinite values. Loading checks the names, shapes, slot names and sizes and the byte count
/// against the model, and rejects NaN or infinite values, before it changes anything: a bad file
/// leaves the model and the optimizer as they were.

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "strata/core/error.hpp"
#include "strata/io/atomic_file.hpp"
#include "strata/layers/config.hpp"
#include "strata/tensor/format.hpp"

namespace strata {
namespace detail {

static_assert(std::endian::native == std::endian::little, "strata: checkpoints assume a little-endian machine");

inline constexpr std::string_view checkpoint_magic = "strata-checkpoint 1";

/// No optimizer: only the model's variables are saved or loaded.
struct no_optimizer {};

template <class Array>
void append_bytes(std::string& data, const Array& values) {
  const auto* bytes = reinterpret_cast<const char*>(values.data());
  data.append(bytes, std::size_t(values.size()) * sizeof(*values.data()));
}

/// A checkpoint never holds NaN or Inf (loading rejects them): saving such values is an error.
template <class Values>
void check_finite(const std::filesystem::path& path, std::string_view name, const Values& values) {
  for (index i = 0; i < index(values.size()); ++i)
    if (!std::isfinite(values.data()[i]))
      throw data_error(fmt::format("strata: cannot save checkpoint '{}': '{}' holds a non-finite value ({}) at flat "
                                   "index {}",
                                   path.string(), name, values.data()[i], i));
}

template <class Model, class Optimizer>
void write_checkpoint(const std::filesystem::path& path, Model& model, Optimizer* optimizer) {
  nlohmann::json variables = nlohmann::json::array();
  std::string data;
  model.for_each_variable([&](const std::string& name, auto& value, bool) {
    using T = typename std::remove_cvref_t<decltype(value)>::scalar_type;
    check_finite(path, name, value);
    variables.push_back({{"name", name}, {"shape", value.dims()}, {"dtype", dtype_name<T>()}});
    append_bytes(data, value);
  });
  nlohmann::json header{{"variables", std::move(variables)}};
  if constexpr (!std::is_same_v<Optimizer, no_optimizer>) {
    nlohmann::json slots = nlohmann::json::array();
    optimizer->for_each_state([&](const std::string& name, auto& slot) {
      check_finite(path, name, slot);
      slots.push_back({{"name", name}, {"size", slot.size()}});
      append_bytes(data, slot);
    });
    header["optimizer"] = {{"class_name", Optimizer::rule_name()},
                           {"iterations", optimizer->iterations()},
                           {"dtype", dtype_name<typename Optimizer::scalar_type>()},
                           {"slots", std::move(slots)}};
  }
  header["data_bytes"] = data.size();
  io::write_atomically(path, [&](std::ostream& out) {
    out << checkpoint_magic << '\n' << header.dump() << '\n';
    out.write(data.data(), std::streamsize(data.size()));
  });
}

[[noreturn]] inline void bad_checkpoint(const std::filesystem::path& path, std::string_view what) {
  throw data_error(fmt::format("strata: checkpoint '{}': {}", path.string(), what));
}

/// Reads `count` values of type T at `offset` of the data into `out` (or, when `staging` is
/// given, into it, sized once the count is known to fit the data), checking they are finite.
template <class T>
void read_values(const std::filesystem::path& path, std::string_view name, const std::string& data, std::size_t& offset,
                 T* out, index count, std::vector<char>* staging = nullptr) {
  // Compared as counts, so a hostile size cannot overflow the byte count.
  if (count < 0 || offset > data.size() || std::size_t(count) > (data.size() - offset) / sizeof(T))
    bad_checkpoint(path, fmt::format("the data ends inside '{}' (truncated file?)", name));
  const std::size_t bytes = std::size_t(count) * sizeof(T);
  if (staging != nullptr) {
    staging->resize(bytes);
    out = reinterpret_cast<T*>(staging->data());
  }
  std::memcpy(out, data.data() + offset, bytes);
  for (index i = 0; i < count; ++i)
    if (!std::isfinite(out[i]))
      bad_checkpoint(path, fmt::format("'{}' holds a non-finite value ({}) at flat index {}", name, out[i], i));
  offset += bytes;
}

template <class Model, class Optimizer>
void read_checkpoint(const std::filesystem::path& path, Model& model, Optimizer* optimizer) {
  std::ifstream in(path, std::ios::binary);
  if (!in) bad_checkpoint(path, "cannot open the file");
  std::string magic, header_line;
  if (!std::getline(in, magic) || magic != checkpoint_magic)
    bad_checkpoint(path, fmt::format("not a strata checkpoint (expected the first line '{}')", checkpoint_magic));
  if (!std::getline(in, header_line)) bad_checkpoint(path, "the header line is missing (truncated file?)");
  const std::string data{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};

  nlohmann::json header;
  std::vector<nlohmann::json> variables;
  std::size_t data_bytes = 0;
  try {
    header = nlohmann::json::parse(header_line);
    variables = header.at("variables").get<std::vector<nlohmann::json>>();
    data_bytes = header.at("data_bytes").get<std::size_t>();
  } catch (const nlohmann::json::exception& error) {
    bad_checkpoint(path, fmt::format("malformed header: {}", error.what()));
  }
  if (data.size() != data_bytes)
    bad_checkpoint(path, fmt::format("expected {} bytes of data, found {} (truncated file?)", data_bytes, data.size()));

  // Everything is read and checked into copies first, so a bad file changes nothing.
  std::vector<std::vector<char>> staged;
  std::size_t offset = 0, position = 0;
  model.for_each_variable([&](const std::string& name, auto& value, bool) {
    using T = typename std::remove_cvref_t<decltype(value)>::scalar_type;
    if (position >= variables.size())
      bad_checkpoint(path, fmt::format("it has {} variables, the model has more (the next is '{}')", variables.size(), name));
    const nlohmann::json& entry = variables[position++];
    try {
      const auto found_name = entry.at("name").get<std::string>();
      const auto found_shape = entry.at("shape").get<std::vector<index>>();
      const auto found_dtype = entry.at("dtype").get<std::string>();
      if (found_name != name)
        bad_checkpoint(path, fmt::format("variable {} is '{}', the model expects '{}'", position - 1, found_name, name));
      const std::vector<index> expected(value.dims().begin(), value.dims().end());
      if (found_shape != expected)
        bad_checkpoint(path, fmt::format("'{}' has shape ({}), the model expects {}", name, fmt::join(found_shape, ", "),
                                         format_dims(value.dims())));
      if (found_dtype != dtype_name<T>())
        bad_checkpoint(path, fmt::format("'{}' is {}, the model expects {}", name, found_dtype, dtype_name<T>()));
    } catch (const nlohmann::json::exception& error) {
      bad_checkpoint(path, fmt::format("variable {}: {}", position - 1, error.what()));
    }
    std::vector<char> bytes;
    read_values(path, name, data, offset, static_cast<T*>(nullptr), value.size(), &bytes);
    staged.push_back(std::move(bytes));
  });
  if (position != variables.size())
    bad_checkpoint(path, fmt::format("it has {} variables, the model {}", variables.size(), position));

  struct staged_slot {
    std::string name;
    std::vector<char> bytes;
    index size;
  };
  std::vector<staged_slot> slots;
  std::int64_t iterations = 0;
  if constexpr (!std::is_same_v<Optimizer, no_optimizer>) {
    using T = typename Optimizer::scalar_type;
    if (!header.contains("optimizer")) bad_checkpoint(path, "it holds no optimizer state");
    try {
      const nlohmann::json& saved = header.at("optimizer");
      if (saved.at("class_name").get<std::string>() != Optimizer::rule_name())
        bad_checkpoint(path, fmt::format("its optimizer is {}, not {}", saved.at("class_name").get<std::string>(),
                                         Optimizer::rule_name()));
      if (saved.at("dtype").get<std::string>() != dtype_name<T>())
        bad_checkpoint(path, fmt::format("its optimizer state is {}, not {}", saved.at("dtype").get<std::string>(),
                                         dtype_name<T>()));
      iterations = saved.at("iterations").get<std::int64_t>();
      if (iterations < 0) bad_checkpoint(path, fmt::format("the optimizer's step count is negative ({})", iterations));
      for (const nlohmann::json& slot : saved.at("slots")) {
        staged_slot entry{slot.at("name").get<std::string>(), {}, slot.at("size").get<index>()};
        // "<weight>/<slot>": the weight must be one of the model's, the slot one of the rule's.
        const std::size_t cut = entry.name.rfind('/');
        const std::string weight = cut == std::string::npos ? "" : entry.name.substr(0, cut);
        const std::string kind = cut == std::string::npos ? "" : entry.name.substr(cut + 1);
        if (std::find(Optimizer::slot_names().begin(), Optimizer::slot_names().end(), kind) ==
            Optimizer::slot_names().end())
          bad_checkpoint(path, fmt::format("optimizer slot '{}' is not one of {}'s ({})", entry.name,
                                           Optimizer::rule_name(), fmt::join(Optimizer::slot_names(), ", ")));
        index weight_size = -1;
        model.for_each_variable([&](const std::string& name, auto& value, bool) {
          if (name == weight) weight_size = value.size();
        });
        if (weight_size != entry.size)
          bad_checkpoint(path, weight_size < 0 ? fmt::format("optimizer slot '{}' is for no weight of the model",
                                                             entry.name)
                                               : fmt::format("optimizer slot '{}' has {} values, its weight {}",
                                                             entry.name, entry.size, weight_size));
        read_values(path, entry.name, data, offset, static_cast<T*>(nullptr), entry.size, &entry.bytes);
        slots.push_back(std::move(entry));
      }
    } catch (const nlohmann::json::exception& error) {
      bad_checkpoint(path, fmt::format("malformed optimizer state: {}", error.what()));
    }
  } else if (header.contains("optimizer")) {
    offset = data.size();  // the optimizer's state follows the variables; only these were asked for
  }
  if (offset != data.size())
    bad_checkpoint(path, fmt::format("{} bytes of data are left over after the last value", data.size() - offset));

  // Commit.
  position = 0;
  model.for_each_variable([&](const std::string&, auto& value, bool) {
    const std::vector<char>& bytes = staged[position++];
    std::memcpy(value.data(), bytes.data(), bytes.size());
  });
  if constexpr (!std::is_same_v<Optimizer, no_optimizer>) {
    optimizer->load_state(iterations, [&](auto&& assign) {
      for (const staged_slot& slot : slots) assign(slot.name, slot.bytes.data(), slot.size);
    });
  }
}

}  // namespace detail

/// Writes `model`'s variables to `path` atomically.
template <class Model>
void save_checkpoint(const std::filesystem::path& path, Model& model) {
  detail::write_checkpoint<Model, detail::no_optimizer>(path, model, nullptr);
}
/// Writes `model`'s variables and `optimizer`'s state and step count to `path` atomically.
template <class Model, class Optimizer>
void save_checkpoint(const std::filesystem::path& path, Model& model, Optimizer& optimizer) {
  detail::write_checkpoint(path, model, &optimizer);
}

/// Reads the variables saved by save_checkpoint into `model` (data_error naming the file and the
/// variable when the file does not fit the model; the model is unchanged then).
template <class Model>
void load_checkpoint(const std::filesystem::path& path, Model& model) {
  detail::read_checkpoint<Model, detail::no_optimizer>(path, model, nullptr);
}
/// Also restores the optimizer's state and step count, so training resumes where it was.
template <class Model, class Optimizer>
void load_checkpoint(const std::filesystem::path& path, Model& model, Optimizer& optimizer) {
  detail::read_checkpoint(path, model, &optimizer);
}

}  // namespace strata
