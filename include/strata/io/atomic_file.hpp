#pragma once
/// \file Writing a file atomically: the bytes go to a temporary file beside the target, which is
/// flushed and then renamed over it, so a reader never sees a half-written file and a crash
/// leaves the old file (or none) in place.
///
///     strata::io::write_atomically("model.ckpt", [&](std::ostream& out) { out.write(bytes, size); });

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>

#include <unistd.h>

#include <fmt/format.h>

namespace strata::io {

/// Calls `write(stream)` on a temporary file next to `path`, then renames it to `path`. On any
/// error (thrown by `write`, or a failed write or rename) the temporary file is removed and the
/// error is rethrown or reported as std::runtime_error naming the path.
template <class Writer>
void write_atomically(const std::filesystem::path& path, Writer&& write) {
  std::filesystem::path temporary = path;
  temporary += fmt::format(".tmp-{}", ::getpid());
  try {
    {
      std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
      if (!out)
        throw std::runtime_error(fmt::format("strata: cannot write '{}': {}", temporary.string(),
                                             std::error_code(errno, std::generic_category()).message()));
      write(out);
      out.flush();
      if (!out) throw std::runtime_error(fmt::format("strata: writing '{}' failed (disk full?)", temporary.string()));
    }
    std::filesystem::rename(temporary, path);
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw;
  }
}

}  // namespace strata::io
