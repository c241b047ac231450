#pragma once
/// \file Writing a file or a folder atomically: the bytes go to a temporary file (or folder)
/// beside the target, which is synced to the disk and then renamed over it (the parent synced
/// too), so a reader never sees a half-written file and a crash or power loss leaves the old one
/// (or none) in place.
///
///     strata::io::write_atomically("model.ckpt", [&](std::ostream& out) { out.write(bytes, size); });
///     strata::io::write_folder_atomically("out/model", [&](const std::filesystem::path& folder) {
///       strata::io::write_file(folder / "model.json", text);
///     });

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>

#include <cstdio>  // renameat2, RENAME_EXCHANGE (glibc 2.28)
#include <string_view>

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

namespace detail {
inline std::filesystem::path temporary_beside(const std::filesystem::path& path) {
  static std::atomic<unsigned> counter{0};  // unique per call, so threads never share a temporary
  std::filesystem::path temporary = path;
  temporary += fmt::format(".tmp-{}-{}", ::getpid(), counter.fetch_add(1));
  return temporary;
}
inline std::filesystem::path parent_or_current(const std::filesystem::path& path) {
  return path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
}
}  // namespace detail

/// Writes `bytes` to the file `path` (inside a folder being written atomically) and syncs it.
inline void write_file(const std::filesystem::path& path, std::string_view bytes) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out)
      throw std::runtime_error(fmt::format("strata: cannot write '{}': {}", path.string(),
                                           std::error_code(errno, std::generic_category()).message()));
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) throw std::runtime_error(fmt::format("strata: writing '{}' failed (disk full?)", path.string()));
  }
  sync_to_disk(path);
}

/// Calls `write(folder)` on a new temporary folder beside `path`, then puts it in `path`'s place
/// in one step (Linux's renameat2 exchange; where a file system refuses that, two renames). The
/// old folder is removed afterwards. `path`'s parent folders are created if missing. If `path`
/// exists, `replaceable(path)` must say it may be replaced (so that saving a model over a folder
/// of other files fails rather than deletes them). On any error the temporary folder is removed
/// and `path` is left as it was.
template <class Writer, class Replaceable>
void write_folder_atomically(const std::filesystem::path& path, Writer&& write, Replaceable&& replaceable) {
  namespace fs = std::filesystem;
  if (fs::exists(path) && (!fs::is_directory(path) || !replaceable(path)))
    throw std::runtime_error(fmt::format("strata: '{}' exists and is not a folder strata may replace", path.string()));
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  const fs::path temporary = detail::temporary_beside(path);
  try {
    fs::create_directory(temporary);
    write(temporary);
    sync_to_disk(temporary);
    if (!fs::exists(path)) {
      fs::rename(temporary, path);
    } else if (::renameat2(AT_FDCWD, temporary.c_str(), AT_FDCWD, path.c_str(), RENAME_EXCHANGE) != 0) {
      // No exchange here (an old kernel or another file system): move the old folder aside first.
      const fs::path old = detail::temporary_beside(path);
      fs::rename(path, old);
      try {
        fs::rename(temporary, path);
      } catch (...) {
        fs::rename(old, path);  // put the old folder back
        throw;
      }
      fs::remove_all(old);
    }
    // After an exchange the temporary name holds the old folder.
    std::error_code ignored;
    fs::remove_all(temporary, ignored);
    sync_to_disk(detail::parent_or_current(path));
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(temporary, ignored);
    throw;
  }
}

}  // namespace strata::io
