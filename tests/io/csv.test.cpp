// Tests of strata/io/csv.hpp: values, header, options, CRLF, quoted fields, column access, and
// each malformed file with the line:column of its error.

#include "support/strata_test.hpp"

#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <strata/io/csv.hpp>

namespace st = strata;
using Catch::Contains;

namespace {

/// A file under the system's temporary directory, removed at the end of the test.
struct scratch_file {
  std::filesystem::path path;
  scratch_file()
      : path(std::filesystem::temp_directory_path() / fmt::format("strata_csv_{}.csv", std::random_device{}())) {}
  scratch_file(const scratch_file&) = delete;
  scratch_file& operator=(const scratch_file&) = delete;
  ~scratch_file() {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
  /// Writes `content` (byte for byte) and returns the path.
  const std::filesystem::path& with(const std::string& content) const {
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
};

}  // namespace

TEST_CASE("read_csv: header and values", "[io][csv]") {
  const scratch_file file;
  const auto table = st::io::read_csv(file.with("a,b,c\n1,2.5,-3\n4e2, +5 ,.25\n"));
  REQUIRE(table.columns == std::vector<std::string>{"a", "b", "c"});
  REQUIRE(table.values.dims() == st::extents<2>{2, 3});
  CHECK(table.values(0, 0) == 1.0f);
  CHECK(table.values(0, 1) == 2.5f);
  CHECK(table.values(0, 2) == -3.0f);
  CHECK(table.values(1, 0) == 400.0f);
  CHECK(table.values(1, 1) == 5.0f);
  CHECK(table.values(1, 2) == 0.25f);

  SECTION("column and select") {
    const auto b = table.column("b");
    REQUIRE(b.dims() == st::extents<1>{2});
    CHECK(b(0) == 2.5f);
    CHECK(b(1) == 5.0f);
    const auto ca = table.select({"c", "a"});
    REQUIRE(ca.dims() == st::extents<2>{2, 2});
    CHECK(ca(0, 0) == -3.0f);
    CHECK(ca(1, 1) == 400.0f);
    const std::vector<std::string> names{"b"};
    CHECK(table.select(names).dims() == st::extents<2>{2, 1});
    CHECK(table.select(names)(1, 0) == 5.0f);
  }
  SECTION("an unknown column names itself and the columns there are") {
    REQUIRE_THROWS_AS(table.column("d"), std::out_of_range);
    REQUIRE_THROWS_WITH(table.column("d"), Contains("no column 'd'") && Contains("'a', 'b', 'c'"));
    REQUIRE_THROWS_WITH(table.select({"a", "x"}), Contains("no column 'x'"));
  }
}

TEST_CASE("read_csv: CRLF, no final newline, quotes, blanks, a header only", "[io][csv]") {
  const scratch_file file;

  SECTION("CRLF line endings") {
    const auto table = st::io::read_csv(file.with("x,y\r\n1,2\r\n3,4\r\n"));
    REQUIRE(table.columns == std::vector<std::string>{"x", "y"});
    REQUIRE(table.values.dims() == st::extents<2>{2, 2});
    CHECK(table.values(1, 1) == 4.0f);
  }
  SECTION("no newline after the last row") {
    const auto table = st::io::read_csv(file.with("x\n1\n2"));
    REQUIRE(table.values.dims() == st::extents<2>{2, 1});
    CHECK(table.values(1, 0) == 2.0f);
  }
  SECTION("quoted names and numbers") {
    const auto table = st::io::read_csv(file.with("\"sepal, length\", \"a \"\"b\"\"\"\n\"1.5\", \" 2\"\n"));
    REQUIRE(table.columns == std::vector<std::string>{"sepal, length", "a \"b\""});
    CHECK(table.values(0, 0) == 1.5f);
    CHECK(table.values(0, 1) == 2.0f);
  }
  SECTION("a header without rows") {
    const auto table = st::io::read_csv(file.with("a,b\n"));
    CHECK(table.values.dims() == st::extents<2>{0, 2});
    CHECK(table.column("b").size() == 0);
  }
  SECTION("no header, another delimiter") {
    const auto table = st::io::read_csv(file.with("1;2;3\n4;5;6\n"), {.delimiter = ';', .header = false});
    REQUIRE(table.columns == std::vector<std::string>{"0", "1", "2"});
    REQUIRE(table.values.dims() == st::extents<2>{2, 3});
    CHECK(table.column("2")(1) == 6.0f);
  }
  SECTION("tab-separated") {
    const auto table = st::io::read_csv(file.with("a\tb\n 1 \t2\n"), {.delimiter = '\t'});
    CHECK(table.values(0, 0) == 1.0f);
    CHECK(table.values(0, 1) == 2.0f);
  }
}

TEST_CASE("read_csv: malformed files throw data_error at path:line:column", "[io][csv]") {
  const scratch_file file;
  const std::string path = file.path.string();
  const auto at = [&](const std::string& position, const std::string& expected) {
    return Contains(path + ":" + position + ": " + expected);
  };

  SECTION("missing file") {
    REQUIRE_DATA_ERROR(st::io::read_csv(file.path),
                       Contains(path) && Contains("expected a CSV file, found no such file"));
  }
  SECTION("empty file") {
    REQUIRE_DATA_ERROR(st::io::read_csv(file.with("")), at("1:1", "expected a header line, found an empty file"));
    REQUIRE_DATA_ERROR(st::io::read_csv(file.with(""), {.header = false}),
                       at("1:1", "expected a row, found an empty file"));
  }
  SECTION("a field that is not a number") {
    REQUIRE_DATA_ERROR(st::io::read_csv(file.with("a,b\n1,2\n3, abc\n")), at("3:4", "expected a number, found 'abc'"));
    REQUIRE_DATA_ERROR(st::io::read_csv(file.with("a,b\n1,2x\n")), at("2:3", "expected a number, found '2x'"));
    REQUIRE_DATA_ERROR(st::io::read_csv(file.with("a\n+-1\n")), at("2:1", "expected a number, found '+-1'"));
  }
  SECTION("an empty field") {
    REQUIRE_DATA_ERROR(st::io::read_csv(file.with("a,b,c\n1,,3\n")),
                       at("2:3", "expected a number, found an empty field"));
    REQUIRE_DATA_ERROR(st::io::read_csv(file.with("a\n1\n\n2\n")),
                       at("3:1", "expected a number, found an empty field"));
  }
  SECTION("NaN and infinity are rejected") {
    for (const char* text : {"nan", "NaN", "inf", "-Infinity", "+inf"}) {
      INFO(text);
      REQUIRE_DATA_ERROR(st::io::read_csv(file.with(fmt::format("a,b\r\n1,{}\r\n", text))),
                         at("2:3", fmt::format("expected a number, found '{}'", text)) && Contains("rejected"));
    }
    REQUIRE_DATA_ERROR(st::io::read_csv(file.with("a\n1e39\n")),
                       at("2:1", "expected a number in float's range, found '1e39'"));
  }
  SECTION("a row with another field count") {
    REQUIRE_DATA_ERROR(st::io::read_csv(file.with("a,b,c\n1,2,3\n4,5\n")),
                       at("3:4", "expected 3 fields as in the header, found 2"));
    REQUIRE_DATA_ERROR(st::io::read_csv(file.with("a,b\n1,2,3\n")),
                       at("2:5", "expected 2 fields as in the header, found 3"));
    REQUIRE_DATA_ERROR(st::io::read_csv(file.with("1,2\n3\n"), {.header = false}),
                       at("2:2", "expected 2 fields as in the first row, found 1"));
  }
  SECTION("bad quotes and duplicate names") {
    REQUIRE_DATA_ERROR(st::io::read_csv(file.with("a\n\"1\n")),
                       at("2:1", "expected a closing '\"', found the end of the line"));
    REQUIRE_DATA_ERROR(st::io::read_csv(file.with("a,b\n\"1\"x,2\n")),
                       at("2:4", "expected ',' after a quoted field, found 'x'"));
    REQUIRE_DATA_ERROR(st::io::read_csv(file.with("a,b,a\n1,2,3\n")),
                       at("1:5", "expected unique column names, found 'a' twice"));
  }
}
