#pragma once
/// \file The progress display of fit, as Keras prints it:
///
///     Epoch 3/10
///     469/469 ━━━━━━━━━━━━━━━━━━━━ 2s 4ms/step - loss: 0.3312 - accuracy: 0.8791 - val_loss: 0.3570 - val_accuracy: 0.8712
///
/// On a terminal the bar is redrawn in place as steps finish (at most every 50 ms). When the
/// output is not a terminal (a log file, CI), each epoch prints one plain line when it ends:
///
///     469/469 - 2s - 4ms/step - loss: 0.3312 - accuracy: 0.8791 - val_loss: 0.3570 - val_accuracy: 0.8712

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>

#include <unistd.h>

#include <fmt/format.h>

#include "strata/core/dims.hpp"
#include "strata/training/logs.hpp"

namespace strata {

/// How much fit prints: nothing, a live bar (terminals), one line per epoch, or the bar on a
/// terminal and lines otherwise (Keras' "auto").
enum class verbosity { silent = 0, bar = 1, lines = 2, automatic = -1 };

namespace detail {

/// "2s", "1:05", "1:02:03" for an elapsed time; "4ms/step", "850us/step" for a step time.
inline std::string format_elapsed(double seconds) {
  const auto whole = static_cast<long>(seconds);
  if (whole >= 3600) return fmt::format("{}:{:02}:{:02}", whole / 3600, (whole / 60) % 60, whole % 60);
  if (whole >= 60) return fmt::format("{}:{:02}", whole / 60, whole % 60);
  return fmt::format("{}s", whole);
}
inline std::string format_step_time(double seconds) {
  // The unit is the smallest that keeps the rounded figure under 1000 (999.7us prints as 1ms).
  if (std::round(seconds * 1e6) < 1000) return fmt::format("{:.0f}us/step", seconds * 1e6);
  if (std::round(seconds * 1e3) < 1000) return fmt::format("{:.0f}ms/step", seconds * 1e3);
  return fmt::format("{:.0f}s/step", seconds);
}
inline std::string format_logs(const logs& values) {
  std::string text;
  for (const auto& [name, value] : values.entries()) text += fmt::format(" - {}: {:.4f}", name, value);
  return text;
}

}  // namespace detail

class progress_bar {
 public:
  using clock = std::chrono::steady_clock;

  progress_bar(std::FILE* out, verbosity level, int epochs) : out_(out), epochs_(epochs) {
    const bool terminal = out != nullptr && ::isatty(::fileno(out)) == 1;
    level_ = level == verbosity::automatic ? (terminal ? verbosity::bar : verbosity::lines) : level;
    if (out == nullptr) level_ = verbosity::silent;
    ansi_ = terminal;
  }

  [[nodiscard]] verbosity level() const { return level_; }

  void begin_epoch(int epoch, index steps) {
    steps_ = steps;
    start_ = last_draw_ = clock::now();
    if (level_ != verbosity::silent) fmt::print(out_, "Epoch {}/{}\n", epoch + 1, epochs_);
  }

  /// After step `step` (from 0) with the running logs.
  void update(index step, const logs& running) {
    if (level_ != verbosity::bar) return;
    const auto now = clock::now();
    if (step + 1 < steps_ && now - last_draw_ < std::chrono::milliseconds(50)) return;
    last_draw_ = now;
    draw(step + 1, running, false);
  }

  /// At the end of the epoch, with its logs (validation included).
  void end_epoch(const logs& epoch_logs, index steps_done) {
    if (level_ == verbosity::bar) draw(steps_done, epoch_logs, true);
    if (level_ == verbosity::lines) {
      const double elapsed = seconds_since_start();
      fmt::print(out_, "{}/{} - {} - {}{}\n", steps_done, steps_, detail::format_elapsed(elapsed),
                 detail::format_step_time(steps_done > 0 ? elapsed / double(steps_done) : 0.0),
                 detail::format_logs(epoch_logs));
    }
    if (level_ != verbosity::silent) std::fflush(out_);
  }

 private:
  [[nodiscard]] double seconds_since_start() const {
    return std::chrono::duration<double>(clock::now() - start_).count();
  }

  void draw(index done, const logs& values, bool final) {
    constexpr int width = 20;
    const int filled = steps_ > 0 ? int(width * done / steps_) : width;
    std::string bar;
    for (int i = 0; i < width; ++i) {
      if (i == filled && ansi_) bar += "\x1b[2m";  // the part still to do is dimmed
      bar += "\u2501";
    }
    if (filled < width && ansi_) bar += "\x1b[0m";
    const double elapsed = seconds_since_start();
    const double per_step = done > 0 ? elapsed / double(done) : 0.0;
    const std::string timing = final || done == steps_
                                   ? fmt::format("{} {}", detail::format_elapsed(elapsed), detail::format_step_time(per_step))
                                   : fmt::format("{} {}", detail::format_elapsed(per_step * double(steps_ - done)),
                                                 detail::format_step_time(per_step));
    const std::string count = fmt::format("{:>{}}/{}", done, fmt::formatted_size("{}", steps_), steps_);
    fmt::print(out_, "\r{} {} {}{}{}", count, bar, timing, detail::format_logs(values), ansi_ ? "\x1b[K" : "");
    if (final) fmt::print(out_, "\n");
    std::fflush(out_);
  }

  std::FILE* out_;
  int epochs_;
  verbosity level_ = verbosity::silent;
  bool ansi_ = false;
  index steps_ = 0;
  clock::time_point start_, last_draw_;
};

}  // namespace strata
