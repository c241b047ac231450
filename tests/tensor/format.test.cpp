// Tests of strata/tensor/format.hpp: tensors print as numpy's array2string(t, separator=", ")
// does (without its padding and line wrapping), summarised past 1000 elements; integer tensors too.

#include "support/strata_test.hpp"

#include <cstdint>
#include <limits>
#include <string>

namespace st = strata;
using st::dyn;
using st::shape;

namespace {

/// The number of non-overlapping occurrences of `needle` in `text`.
std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++count;
  return count;
}

/// "[first, first + 1, first + 2, ..., first + n - 3, first + n - 2, first + n - 1]" (n > 6).
std::string elided_row(int first, int n) {
  return fmt::format("[{}, {}, {}, ..., {}, {}, {}]", first, first + 1, first + 2, first + n - 3, first + n - 2,
                     first + n - 1);
}

}  // namespace

TEST_CASE("format: small tensors print in full, numpy-like", "[format]") {
  SECTION("rank 2: one row per line, rows aligned under the first") {
    const st::tensor<double, shape<2, 2>> a{{1, 2}, {3, 4}};
    REQUIRE(fmt::format("{}", a) == "[[1, 2],\n [3, 4]]");
    const st::tensor<float, shape<dyn, 3>> b{{1.5f, -2, 0.25f}, {0, 10, -0.125f}, {7, 8, 9}};
    REQUIRE(fmt::format("{}", b) == "[[1.5, -2, 0.25],\n [0, 10, -0.125],\n [7, 8, 9]]");
  }
  SECTION("rank 1") {
    REQUIRE(fmt::format("{}", st::tensor<double, shape<3>>{1, 2, 3}) == "[1, 2, 3]");
    REQUIRE(fmt::format("{}", st::tensor<double, shape<1>>{-0.5}) == "[-0.5]");
    REQUIRE(fmt::format("{}", st::tensor<float, shape<dyn>>{}) == "[]");
  }
  SECTION("rank 3: a blank line between the 2-D blocks, as numpy prints them") {
    const st::tensor<double, shape<2, 2, 2>> a{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}};
    REQUIRE(fmt::format("{}", a) == "[[[1, 2],\n  [3, 4]],\n\n [[5, 6],\n  [7, 8]]]");
  }
  SECTION("rank 4: two blank lines between the 3-D blocks") {
    const st::tensor<double, shape<2, 1, 1, 2>> a{{{{1, 2}}}, {{{3, 4}}}};
    REQUIRE(fmt::format("{}", a) == "[[[[1, 2]]],\n\n\n [[[3, 4]]]]");
  }
  SECTION("rank 0: the bare value") {
    REQUIRE(fmt::format("{}", st::tensor<double, shape<>>::full({}, 3.5)) == "3.5");
    REQUIRE(fmt::format("{}", st::tensor<float, shape<>>::full({}, -2)) == "-2");
  }
  SECTION("values: shortest round-trip form, nan and inf") {
    REQUIRE(fmt::format("{}", st::tensor<float, shape<2>>{0.1f, 1e-7f}) == "[0.1, 1e-07]");
    REQUIRE(fmt::format("{}", st::tensor<double, shape<2>>{0.1, 1.0 / 3}) == "[0.1, 0.3333333333333333]");
    const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
    REQUIRE(fmt::format("{}", st::tensor<double, shape<3>>{inf, -inf, nan}) == "[inf, -inf, nan]");
  }
  SECTION("1000 elements are not summarised") {
    st::tensor<double, shape<1000>> a;
    for (int i = 0; i < 1000; ++i) a.data()[i] = i;
    std::string expected = "[0";
    for (int i = 1; i < 1000; ++i) expected += fmt::format(", {}", i);
    expected += "]";
    REQUIRE(fmt::format("{}", a) == expected);
  }
}

TEST_CASE("format: past 1000 elements each axis shows its first and last 3 entries", "[format]") {
  SECTION("rank 1: 1001 elements") {
    st::tensor<double, shape<dyn>> a(st::extents<1>{1001});
    for (int i = 0; i < 1001; ++i) a.data()[i] = i;
    REQUIRE(fmt::format("{}", a) == "[0, 1, 2, ..., 998, 999, 1000]");
  }
  SECTION("rank 2: (40, 30) is 1200 elements") {
    st::tensor<double, shape<40, 30>> a;
    for (int i = 0; i < 1200; ++i) a.data()[i] = i;
    std::string expected = "[";
    for (int row : {0, 1, 2}) expected += elided_row(row * 30, 30) + ",\n ";
    expected += "...,\n ";
    for (int row : {37, 38}) expected += elided_row(row * 30, 30) + ",\n ";
    expected += elided_row(39 * 30, 30) + "]";
    REQUIRE(fmt::format("{}", a) == expected);
  }
  SECTION("rank 2: an axis of at most 6 entries is shown whole") {
    st::tensor<double, shape<6, 200>> a;  // 1200 elements: the rows all show, each row elided
    for (int i = 0; i < 1200; ++i) a.data()[i] = i;
    std::string expected = "[";
    for (int row = 0; row < 6; ++row) expected += elided_row(row * 200, 200) + (row < 5 ? ",\n " : "]");
    REQUIRE(fmt::format("{}", a) == expected);
  }
  SECTION("rank 3: (10, 10, 11) is 1100 elements") {
    st::tensor<double, shape<10, 10, 11>> a;
    for (int i = 0; i < 1100; ++i) a.data()[i] = i;
    const std::string text = fmt::format("{}", a);
    // Shown: 6 blocks of 6 rows of 6 numbers; "..." once for the blocks, once per block, once per row.
    REQUIRE(count_of(text, "...") == 1 + 6 + 36);
    REQUIRE(text.rfind("[[[0, 1, 2, ..., 8, 9, 10],\n  [11, 12, 13, ..., 19, 20, 21],\n", 0) == 0);
    REQUIRE(text.find("],\n\n ...,\n\n [[770, 771, 772, ..., 778, 779, 780],\n") != std::string::npos);
    REQUIRE(text.find("  ...,\n  [77, 78, 79, ..., 85, 86, 87],\n") != std::string::npos);
    REQUIRE(text.size() > 19);
    REQUIRE(text.substr(text.size() - 19) == "1097, 1098, 1099]]]");
    REQUIRE(text.find("[33, ") == std::string::npos);  // row 3 of block 0 is elided
    REQUIRE(text.find("[330, ") == std::string::npos);  // block 3 is elided
  }
}

TEST_CASE("format: integer tensors print integers", "[format][int]") {
  const st::tensor<std::int32_t, shape<2, 3>> a{{1, -2, 30}, {4, 0, -60}};
  REQUIRE(fmt::format("{}", a) == "[[1, -2, 30],\n [4, 0, -60]]");
  // digits a double would print in exponent form (2^63 - 1 is not even a double)
  const st::tensor<std::int64_t, shape<dyn>> b{std::numeric_limits<std::int64_t>::max(), -1099511627776};
  REQUIRE(fmt::format("{}", b) == "[9223372036854775807, -1099511627776]");
  REQUIRE(fmt::format("{}", st::tensor<std::int32_t, shape<>>::full({}, 7)) == "7");
  st::tensor<std::int32_t, shape<dyn>> c(st::extents<1>{1001});
  for (int i = 0; i < 1001; ++i) c.data()[i] = i;
  REQUIRE(fmt::format("{}", c) == "[0, 1, 2, ..., 998, 999, 1000]");
}
