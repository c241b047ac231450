#pragma once
/// \file One CSV row per epoch (Keras' CSVLogger): the epoch (from 0) and every logged value, in
/// sorted column order, "NA" where an epoch lacks one.
///
///     strata::csv_logger log("training.csv");
///     strata::fit(model, x, y, loss, optimizer, {.epochs = 10, .callbacks = {&log}});
///     // training.csv:  epoch,accuracy,loss,val_accuracy,val_loss
///     //                0,0.8172,0.5123,0.8430,0.4411 ...
///
/// Each row is flushed when written, so the file is complete up to the last finished epoch even
/// if the process dies. With `append`, rows go after an existing file's (no second header).

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "strata/training/callback.hpp"

namespace strata {

class csv_logger : public callback {
 public:
  explicit csv_logger(std::filesystem::path path, char separator = ',', bool append = false)
      : path_(std::move(path)), separator_(separator), append_(append) {}

  void on_train_begin(training_control&) override {
    std::error_code ignored;
    const bool has_rows = append_ && std::filesystem::file_size(path_, ignored) > 0 && !ignored;
    file_.reset(std::fopen(path_.c_str(), append_ ? "a" : "w"));
    if (!file_)
      throw std::runtime_error(fmt::format("strata: csv_logger cannot open '{}' for writing: {}", path_.string(),
                                           std::error_code(errno, std::generic_category()).message()));
    header_written_ = has_rows;
    columns_.clear();
  }

  void on_epoch_end(training_control&, int epoch, const logs& epoch_logs) override {
    if (!file_) return;
    if (!header_written_) {
      columns_ = sorted_names(epoch_logs);
      fmt::print(file_.get(), "epoch{}{}\n", separator_, fmt::join(columns_, std::string(1, separator_)));
      header_written_ = true;
    } else if (columns_.empty()) {
      columns_ = sorted_names(epoch_logs);  // appending: the existing header has these names
    }
    std::string row = fmt::format("{}", epoch);
    for (const std::string& column : columns_) {
      row += separator_;
      const auto value = epoch_logs.get(column);
      row += value ? fmt::format("{}", *value) : std::string("NA");
    }
    fmt::print(file_.get(), "{}\n", row);
    std::fflush(file_.get());
  }

  void on_train_end(training_control&, const logs&) override { file_.reset(); }

 private:
  // Keras writes the columns in sorted order.
  static std::vector<std::string> sorted_names(const logs& epoch_logs) {
    std::vector<std::string> names = epoch_logs.names();
    std::sort(names.begin(), names.end());
    return names;
  }

  struct closer {
    void operator()(std::FILE* file) const { std::fclose(file); }
  };

  std::filesystem::path path_;
  char separator_;
  bool append_;
  bool header_written_ = false;
  std::vector<std::string> columns_;
  std::unique_ptr<std::FILE, closer> file_;
};

}  // namespace strata
