#pragma once
/// \file Writing a file atomically: the bytes go to a temporary file beside the target, which is
/// synced to the disk and then renamed over it (the directory synced too), so a reader never
/// sees a half-written file and a crash or power loss leaves the old file (or none) in place.
///
///     strata::io::write_atomically("model.ckpt", [&](std::ostream& out) { out.write(bytes, size); });

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

namespace strata::io {

/// Flushes a file's or a directory's data to the disk (best effort: some file systems refuse a
/// directory's fsync, which then changes nothing).
inline void sync_to_disk(const std::filesystem::path& path) {
  const int descriptor = ::open(path.c_str(), O_RDONLY);
  if (descriptor < 0) return;
  ::fsync(descriptor);
  ::close(descriptor);
}

/// Calls `write(stream)` on a temporary file next to `path`, then renames it to `path`. On any
/// error (thrown by `write`, or a failed write or rename) the temporary file is removed and the
/// error is rethrown or reported as std::runtime_error naming the path.
template <class Writer>
void write_atomically(const std::filesystem::path& path, Writer&& write) {
  static std::atomic<unsigned> counter{0};  // unique per call, so threads never share a temporary
  std::filesystem::path temporary = path;
  temporary += fmt::format(".tmp-{}-{}", ::getpid(), counter.fetch_add(1));
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
    sync_to_disk(temporary);  // the bytes are on disk before the name points at them
    std::filesystem::rename(temporary, path);
    sync_to_disk(path.has_parent_path() ? path.parent_path() : std::filesystem::path("."));  // and the rename
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw;
  }
}

}  // namespace strata::io
