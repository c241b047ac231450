// gather (embedding lookup): rows of a (V, D) table at integer indices; values, shapes, indices
// held by reference, scatter-added gradients and the errors for bad or resized indices.

#include <cstdint>
#include <stdexcept>
#include <type_traits>

#include "support/strata_test.hpp"

namespace st = strata;
using st::dyn;
using st::shape;
using idx = st::index;

namespace {

/// The table row of every index, by a plain loop.
template <class Out, class Table, class Indices>
void require_rows(const Out& out, const Table& table, const Indices& indices) {
  const idx depth = table.dims()[1];
  REQUIRE(out.size() == indices.size() * depth);
  for (idx i = 0; i < indices.size(); ++i)
    for (idx j = 0; j < depth; ++j) REQUIRE(out.data()[i * depth + j] == table(idx(indices.data()[i]), j));
}

template <class E>
using shape_of = typename std::remove_cvref_t<E>::shape_type;

}  // namespace

TEST_CASE("gather: rows of the table at the indices, by hand", "[gather]") {
  const st::tensor<double, shape<4, 3>> table{{0, 1, 2}, {10, 11, 12}, {20, 21, 22}, {30, 31, 32}};

  SECTION("rank-2 indices give a rank-3 result") {
    const st::tensor<std::int32_t, shape<2, 2>> indices{{3, 0}, {3, 1}};
    const auto out = st::eval(st::gather(table, indices));
    static_assert(std::is_same_v<shape_of<decltype(out)>, shape<2, 2, 3>>);
    const st::tensor<double, shape<2, 2, 3>> expected{{{30, 31, 32}, {0, 1, 2}}, {{30, 31, 32}, {10, 11, 12}}};
    REQUIRE(st::allclose(out, expected, 0, 0));
  }
  SECTION("rank-1 and rank-0 indices, int64") {
    const st::tensor<std::int64_t, shape<dyn>> tokens{2, 2, 0};
    const auto rows = st::eval(st::gather(table, tokens));
    static_assert(std::is_same_v<shape_of<decltype(rows)>, shape<dyn, 3>>);
    REQUIRE(st::allclose(rows, st::tensor<double, shape<3, 3>>{{20, 21, 22}, {20, 21, 22}, {0, 1, 2}}, 0, 0));
    const auto one = st::tensor<std::int64_t, shape<>>::full({}, 1);
    const auto row = st::eval(st::gather(table, one));
    static_assert(std::is_same_v<shape_of<decltype(row)>, shape<3>>);
    REQUIRE(st::allclose(row, st::tensor<double, shape<3>>{10, 11, 12}, 0, 0));
  }
  SECTION("dyn tables: the output takes D's static or dyn extent") {
    const st::tensor<float, shape<dyn, dyn>> t{{1, 2}, {3, 4}, {5, 6}};
    const st::tensor<std::int32_t, shape<dyn, 2>> i{{2, 1}};
    const auto out = st::eval(st::gather(t, i));
    static_assert(std::is_same_v<shape_of<decltype(out)>, shape<dyn, 2, dyn>>);
    REQUIRE(out.dims() == st::extents<3>{1, 2, 2});
    REQUIRE(st::allclose(out, st::tensor<float, shape<1, 2, 2>>{{{5, 6}, {3, 4}}}, 0, 0));
    using wide = st::tensor<float, shape<dyn, 8>>;
    static_assert(std::is_same_v<shape_of<decltype(st::gather(wide(), i))>, shape<dyn, 2, 8>>);
  }
  SECTION("empty indices give an empty result") {
    const st::tensor<std::int32_t, shape<dyn, 5>> none(st::extents<2>{0, 5});
    REQUIRE(st::eval(st::gather(table, none)).dims() == st::extents<3>{0, 5, 3});
  }
}

TEST_CASE("gather: larger tables and lazy tables against a loop", "[gather]") {
  const auto table = st::testing::uniform<dyn, 7>({50, 7}, 1);
  st::tensor<std::int32_t, shape<dyn, dyn, 3>> indices(st::extents<3>{4, 5, 3});
  for (idx i = 0; i < indices.size(); ++i) indices.data()[i] = std::int32_t((i * 37 + 11) % 50);
  require_rows(st::eval(st::gather(table, indices)), table, indices);
  // a table that is an expression: evaluated once, then its rows copied
  const st::tensor<double, shape<dyn, 7>> doubled = table * 2.0;
  require_rows(st::eval(st::gather(table * 2.0, indices)), doubled, indices);
  // gather feeding further ops
  const auto summed = st::eval(st::sum(st::gather(table, indices), st::axis<-1>));
  for (idx i = 0; i < indices.size(); ++i)
    CHECK(summed.data()[i] == Approx(table.matrix().row(indices.data()[i]).sum()));
}

TEST_CASE("gather: the indices are held by reference", "[gather]") {
  const st::tensor<double, shape<3, 2>> table{{1, 2}, {3, 4}, {5, 6}};
  st::tensor<std::int32_t, shape<dyn>> indices{0, 1};
  const auto e = st::gather(table, indices);
  REQUIRE(st::allclose(st::eval(e), st::tensor<double, shape<2, 2>>{{1, 2}, {3, 4}}, 0, 0));
  indices(0) = 2;  // new values are read at the next evaluation
  REQUIRE(st::allclose(st::eval(e), st::tensor<double, shape<2, 2>>{{5, 6}, {3, 4}}, 0, 0));
  indices.resize({3});  // new extents are refused, as a tensor_ref refuses them
  REQUIRE_THROWS_AS(st::eval(e), st::shape_error);
  REQUIRE_THROWS_WITH(st::eval(e), Catch::Contains("resized from (2,) to (3,)"));
}

TEST_CASE("gather: an index out of range throws out_of_range naming it, its position and V", "[gather][errors]") {
  const st::tensor<double, shape<dyn, 2>> table{{1, 2}, {3, 4}, {5, 6}, {7, 8}};
  const st::tensor<std::int64_t, shape<2, 3>> high{{0, 1, 2}, {3, 4, 0}};
  REQUIRE_THROWS_AS(st::eval(st::gather(table, high)), std::out_of_range);
  REQUIRE_THROWS_WITH(
      st::eval(st::gather(table, high)),
      "strata: gather: index 4 at position (1, 1) is out of range for a table of 4 rows (valid: 0 .. 3)");
  const st::tensor<std::int32_t, shape<dyn>> negative{1, -1};
  REQUIRE_THROWS_WITH(st::eval(st::gather(table, negative)),
                      Catch::Contains("index -1 at position (1,)") && Catch::Contains("4 rows"));
  const st::tensor<double, shape<dyn, 2>> empty(st::extents<2>{0, 2});
  REQUIRE_THROWS_WITH(st::eval(st::gather(empty, negative)), Catch::Contains("index 1 at position (0,)"));
  // gradients are not taken through a refused lookup either
  auto t = st::testing::uniform<4, 2>({4, 2}, 2);
  REQUIRE_THROWS_AS(st::grad(st::sum(st::gather(t, high)), t), std::out_of_range);
}

TEST_CASE("gather: repeated indices get their adjoints summed", "[gather][gradcheck]") {
  st::tensor<double, shape<4, 2>> table{{1, 2}, {3, 4}, {5, 6}, {7, 8}};
  const st::tensor<std::int32_t, shape<3>> indices{2, 0, 2};
  const st::tensor<double, shape<3, 2>> w{{1, 10}, {100, 1000}, {2, 20}};
  const auto expected = st::tensor<double, shape<4, 2>>{{100, 1000}, {0, 0}, {3, 30}, {0, 0}};
  // a tensor table takes its rows straight into its gradient; an expression's table a dense adjoint
  REQUIRE(st::allclose(std::get<0>(st::grad(st::sum(st::gather(table, indices) * w), table)), expected, 0, 0));
  REQUIRE(st::allclose(std::get<0>(st::grad(st::sum(st::gather(table * 1.0, indices) * w), table)), expected, 0, 0));
  // gradients accumulate into what the gradient tensor holds, as everywhere
  auto g = st::tensor<double, shape<4, 2>>::ones();
  st::backward(st::sum(st::gather(table, indices) * w), st::wrt(table, g));
  REQUIRE(g(0, 1) == 1001);
  REQUIRE(g(1, 0) == 1);
}

TEST_CASE("gather: gradient checks, static and dyn shapes", "[gather][gradcheck]") {
  SECTION("static") {
    auto table = st::testing::uniform<5, 3>({5, 3}, 3);
    const st::tensor<std::int32_t, shape<2, 3>> indices{{4, 0, 4}, {1, 1, 2}};
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::gather(table, indices)), st::named("table", table)));
    STRATA_REQUIRE_GRADIENTS(
        st::gradcheck(st::project(st::gather(st::tanh(table), indices)), st::named("table", table)));
  }
  SECTION("dyn, through further ops") {
    auto table = st::testing::uniform<dyn, 4>({6, 4}, 4);
    auto w = st::testing::uniform<4>({4}, 5);
    const st::tensor<std::int64_t, shape<dyn>> indices{5, 0, 3, 3, 5, 2, 0};
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::gather(table, indices)), st::named("table", table)));
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::project(st::softmax(st::gather(table * w, indices))),
                                           st::named("table", table), st::named("w", w)));
    STRATA_REQUIRE_GRADIENTS(st::gradcheck(st::mean(st::square(st::gather(table, indices) - w)),
                                           st::named("table", table), st::named("w", w)));
  }
}
