#pragma once
// Helpers for tests that write and read files: a fresh scratch folder per test, whole-file reads
// and writes, and a saved model written by hand (model.json text plus weight bytes).

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <unistd.h>

#include <fmt/format.h>

namespace strata::testing {

/// An empty folder for one test, under the system's temporary folder (removed and made anew).
inline std::filesystem::path scratch_folder(const std::string& name) {
  const auto path = std::filesystem::temp_directory_path() / fmt::format("strata-test-{}-{}", ::getpid(), name);
  std::filesystem::remove_all(path);
  std::filesystem::create_directories(path);
  return path;
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

/// The bytes of float32 values, as a weight shard holds them.
inline std::string float_bytes(const std::vector<float>& values) {
  return {reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)};
}

/// A saved model written by hand: `model_json` as model.json and `shard` as group1-shard1of1.bin.
inline std::filesystem::path write_model_folder(const std::filesystem::path& dir, const std::string& model_json,
                                                const std::string& shard) {
  std::filesystem::create_directories(dir);
  write_file(dir / "model.json", model_json);
  write_file(dir / "group1-shard1of1.bin", shard);
  return dir;
}

}  // namespace strata::testing
