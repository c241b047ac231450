// Tests of strata/core/shape.hpp: the shape type, the shape rules (at compile time on static dims,
// at run time on real extents), the shape aliases, formatting and check_shapes.

#include "support/strata_test.hpp"

#include <string>

namespace st = strata;
using st::dyn;
using st::extents;
using st::shape;

TEST_CASE("shape: rank, last, size, is_static and dim", "[shape]") {
  using matrix = shape<2, 3>;
  static_assert(matrix::rank == 2 && matrix::last == 3 && matrix::size == 6 && matrix::is_static);
  static_assert(matrix::dims == extents<2>{2, 3});
  static_assert(matrix::dim(0) == 2 && matrix::dim(1) == 3 && matrix::dim(-1) == 3 && matrix::dim(-2) == 2);

  using features = shape<dyn, 16>;
  static_assert(features::rank == 2 && features::last == 16 && !features::is_static);
  static_assert(features::size == dyn);
  static_assert(features::dim(0) == dyn && features::dim(-1) == 16);

  using scalar = shape<>;
  static_assert(scalar::rank == 0 && scalar::last == 1 && scalar::size == 1 && scalar::is_static);

  using vector = shape<7>;
  static_assert(vector::rank == 1 && vector::last == 7 && vector::size == 7 && vector::dim(-1) == 7);

  using empty = shape<4, 0, 5>;
  static_assert(empty::size == 0 && empty::last == 5 && empty::is_static);

  static_assert(st::shape_type<shape<1, 2>> && st::shape_type<shape<>>);
  static_assert(!st::shape_type<int> && !st::shape_type<extents<2>>);
  static_assert(std::is_same_v<st::shape_from<extents<3>{4, dyn, 2}>, shape<4, dyn, 2>>);

  // The same facts at run time (the members are usable as ordinary values too).
  REQUIRE(matrix::size == 6);
  REQUIRE(features::dim(-1) == 16);
  REQUIRE(st::element_count(extents<3>{2, 3, 4}) == 24);
  REQUIRE(st::element_count(extents<0>{}) == 1);
}

TEST_CASE("shape: equality, dyn matching only dyn", "[shape]") {
  static_assert(shape<2, 3>{} == shape<2, 3>{});
  static_assert(shape<dyn, 3>{} == shape<dyn, 3>{});
  static_assert(shape<>{} == shape<>{});
  static_assert(!(shape<2, 3>{} == shape<3, 2>{}));
  static_assert(shape<2, 3>{} != shape<2, 3, 1>{});
  static_assert(shape<dyn, 3>{} != shape<2, 3>{});
  static_assert(shape<2, 3>{} != shape<dyn, 3>{});
  static_assert(shape<3>{} != shape<>{});
  REQUIRE(shape<dyn, 16>{} == shape<dyn, 16>{});
  REQUIRE_FALSE(shape<dyn, 16>{} == shape<8, 16>{});
}

TEST_CASE("shape: broadcast_rule on static shapes", "[shape][broadcast]") {
  constexpr auto rule = []<class A, class B>(A, B) { return st::broadcast_rule(A::dims, B::dims, A::dims, B::dims); };

  constexpr auto same = rule(shape<2, 3>{}, shape<2, 3>{});
  static_assert(same.ok && same.dims == extents<2>{2, 3});
  constexpr auto bias = rule(shape<2, 3>{}, shape<3>{});
  static_assert(bias.ok && bias.dims == extents<2>{2, 3});
  constexpr auto bias_left = rule(shape<3>{}, shape<2, 3>{});
  static_assert(bias_left.ok && bias_left.dims == extents<2>{2, 3});
  constexpr auto outer = rule(shape<2, 1>{}, shape<1, 3>{});
  static_assert(outer.ok && outer.dims == extents<2>{2, 3});
  constexpr auto padded = rule(shape<4, 1, 3>{}, shape<2, 1>{});
  static_assert(padded.ok && padded.dims == extents<3>{4, 2, 3});
  constexpr auto with_scalar = rule(shape<>{}, shape<2, 3>{});
  static_assert(with_scalar.ok && with_scalar.dims == extents<2>{2, 3});
  constexpr auto scalars = rule(shape<>{}, shape<>{});
  static_assert(scalars.ok);
  constexpr auto zero = rule(shape<0, 3>{}, shape<1, 3>{});
  static_assert(zero.ok && zero.dims == extents<2>{0, 3});

  static_assert(!rule(shape<2, 3>{}, shape<4>{}).ok);
  static_assert(!rule(shape<2, 3>{}, shape<3, 3>{}).ok);
  static_assert(!rule(shape<0, 3>{}, shape<2, 3>{}).ok);  // 0 is not 1: it does not broadcast
  static_assert(!rule(shape<5, 2, 3>{}, shape<4, 1, 3>{}).ok);

  REQUIRE(rule(shape<4, 1, 3>{}, shape<2, 1>{}).dims == extents<3>{4, 2, 3});
  REQUIRE_FALSE(rule(shape<2, 3>{}, shape<4>{}).ok);
}

TEST_CASE("shape: broadcast_rule with dyn, at compile time and at run time", "[shape][broadcast]") {
  using batch = shape<dyn, 3>;
  // Compile time: the static dims twice; a dyn extent is unknown and passes.
  constexpr auto bias = st::broadcast_rule(batch::dims, shape<3>::dims, batch::dims, shape<3>::dims);
  static_assert(bias.ok && bias.dims == extents<2>{dyn, 3});
  constexpr auto both = st::broadcast_rule(batch::dims, batch::dims, batch::dims, batch::dims);
  static_assert(both.ok && both.dims == extents<2>{dyn, 3});
  constexpr auto known = st::broadcast_rule(batch::dims, shape<4, 3>::dims, batch::dims, shape<4, 3>::dims);
  static_assert(known.ok && known.dims == extents<2>{4, 3});
  constexpr auto keepdims = st::broadcast_rule(batch::dims, shape<dyn, 1>::dims, batch::dims, shape<dyn, 1>::dims);
  static_assert(keepdims.ok && keepdims.dims == extents<2>{dyn, 3});
  static_assert(!st::broadcast_rule(batch::dims, shape<4>::dims, batch::dims, shape<4>::dims).ok);

  // Run time: the same function with the real extents.
  SECTION("equal run-time extents fit") {
    const auto r = st::broadcast_rule(batch::dims, batch::dims, extents<2>{5, 3}, extents<2>{5, 3});
    REQUIRE(r.ok);
    REQUIRE(r.dims == extents<2>{5, 3});
  }
  SECTION("a dyn extent must equal the static one it meets") {
    const auto good = st::broadcast_rule(batch::dims, shape<4, 3>::dims, extents<2>{4, 3}, extents<2>{4, 3});
    REQUIRE(good.ok);
    REQUIRE(good.dims == extents<2>{4, 3});
    const auto bad = st::broadcast_rule(batch::dims, shape<4, 3>::dims, extents<2>{5, 3}, extents<2>{4, 3});
    REQUIRE_FALSE(bad.ok);
  }
  SECTION("two dyn extents must be equal") {
    REQUIRE_FALSE(st::broadcast_rule(batch::dims, batch::dims, extents<2>{5, 3}, extents<2>{6, 3}).ok);
  }
  SECTION("a dyn extent that is 1 at run time does not broadcast; only a static 1 does") {
    REQUIRE_FALSE(st::broadcast_rule(batch::dims, shape<4, 3>::dims, extents<2>{1, 3}, extents<2>{4, 3}).ok);
    const auto static_one = st::broadcast_rule(shape<1, 3>::dims, batch::dims, extents<2>{1, 3}, extents<2>{7, 3});
    REQUIRE(static_one.ok);
    REQUIRE(static_one.dims == extents<2>{7, 3});
    const auto keep = st::broadcast_rule(batch::dims, shape<dyn, 1>::dims, extents<2>{7, 3}, extents<2>{7, 1});
    REQUIRE(keep.ok);
    REQUIRE(keep.dims == extents<2>{7, 3});
  }
}

TEST_CASE("shape: matmul_rule", "[shape][matmul]") {
  constexpr auto rule = []<class A, class B>(A, B) { return st::matmul_rule(A::dims, B::dims); };

  constexpr auto plain = rule(shape<2, 3>{}, shape<3, 4>{});
  static_assert(plain.ok && plain.dims == extents<2>{2, 4});
  constexpr auto shared = rule(shape<5, 2, 3>{}, shape<3, 4>{});  // (b, n, k)·(k, m)
  static_assert(shared.ok && shared.dims == extents<3>{5, 2, 4});
  constexpr auto batched = rule(shape<5, 2, 3>{}, shape<5, 3, 4>{});  // (b, n, k)·(b, k, m)
  static_assert(batched.ok && batched.dims == extents<3>{5, 2, 4});
  constexpr auto rank4 = rule(shape<6, 5, 2, 3>{}, shape<3, 4>{});
  static_assert(rank4.ok && rank4.dims == extents<4>{6, 5, 2, 4});
  constexpr auto with_dyn = rule(shape<dyn, 3>{}, shape<3, dyn>{});
  static_assert(with_dyn.ok && with_dyn.dims == extents<2>{dyn, dyn});
  constexpr auto dyn_batch = rule(shape<dyn, 2, 3>{}, shape<5, 3, 4>{});
  static_assert(dyn_batch.ok && dyn_batch.dims == extents<3>{5, 2, 4});
  constexpr auto dyn_inner = rule(shape<2, dyn>{}, shape<4, 5>{});  // checked at run time
  static_assert(dyn_inner.ok && dyn_inner.dims == extents<2>{2, 5});

  static_assert(!rule(shape<2, 3>{}, shape<4, 5>{}).ok);        // inner 3 vs 4
  static_assert(!rule(shape<5, 2, 3>{}, shape<6, 3, 4>{}).ok);  // batch 5 vs 6
  static_assert(!rule(shape<5, 2, 3>{}, shape<5, 4, 4>{}).ok);  // inner 3 vs 4, batched
  static_assert(!rule(shape<3>{}, shape<3, 4>{}).ok);           // rank-1 left operand
  static_assert(!rule(shape<2, 3>{}, shape<3>{}).ok);           // rank-1 right operand
  static_assert(!rule(shape<2, 3>{}, shape<5, 3, 4>{}).ok);     // batched right, plain left
  static_assert(!rule(shape<6, 5, 2, 3>{}, shape<5, 3, 4>{}).ok);  // ranks 4 and 3

  // Run time: real extents through the same function.
  REQUIRE(st::matmul_rule(extents<2>{2, 3}, extents<2>{3, 4}).ok);
  REQUIRE(st::matmul_rule(extents<2>{2, 3}, extents<2>{3, 4}).dims == extents<2>{2, 4});
  REQUIRE_FALSE(st::matmul_rule(extents<2>{2, 3}, extents<2>{4, 5}).ok);
  REQUIRE_FALSE(st::matmul_rule(extents<3>{5, 2, 3}, extents<3>{6, 3, 4}).ok);
}

TEST_CASE("shape: normalize_axis and reduce_rule", "[shape][reduce]") {
  static_assert(st::normalize_axis(0, 3) == 0 && st::normalize_axis(2, 3) == 2);
  static_assert(st::normalize_axis(-1, 3) == 2 && st::normalize_axis(-3, 3) == 0);
  static_assert(st::normalize_axis(3, 3) == -1 && st::normalize_axis(-4, 3) == -1);
  static_assert(st::normalize_axis(0, 0) == -1 && st::normalize_axis(-1, 0) == -1);
  REQUIRE(st::normalize_axis(-2, 2) == 0);
  REQUIRE(st::normalize_axis(2, 2) == -1);

  using cube = shape<2, 3, 4>;
  constexpr auto middle = st::reduce_rule<false>(cube::dims, 1);
  static_assert(middle.ok && middle.dims == extents<2>{2, 4});
  constexpr auto middle_kept = st::reduce_rule<true>(cube::dims, 1);
  static_assert(middle_kept.ok && middle_kept.dims == extents<3>{2, 1, 4});
  constexpr auto last = st::reduce_rule<false>(cube::dims, st::normalize_axis(-1, 3));
  static_assert(last.dims == extents<2>{2, 3});
  constexpr auto first_kept = st::reduce_rule<true>(cube::dims, 0);
  static_assert(first_kept.dims == extents<3>{1, 3, 4});
  constexpr auto vector = st::reduce_rule<false>(shape<5>::dims, 0);
  static_assert(vector.dims == extents<0>{});
  constexpr auto batch = st::reduce_rule<true>(shape<dyn, 10>::dims, 1);
  static_assert(batch.dims == extents<2>{dyn, 1});

  REQUIRE(st::reduce_rule<false>(extents<3>{7, 3, 4}, 0).dims == extents<2>{3, 4});
  REQUIRE(st::reduce_rule<true>(extents<3>{7, 3, 4}, 2).dims == extents<3>{7, 3, 1});
}

TEST_CASE("shape: reshape_rule", "[shape][reshape]") {
  constexpr auto rule = []<class In, class Target>(In, Target) { return st::reshape_rule(In::dims, Target::dims); };

  constexpr auto swap = rule(shape<2, 3>{}, shape<3, 2>{});
  static_assert(swap.ok && swap.dims == extents<2>{3, 2});
  constexpr auto flatten = rule(shape<2, 3, 4>{}, shape<24>{});
  static_assert(flatten.ok && flatten.dims == extents<1>{24});
  constexpr auto inferred = rule(shape<2, 3, 4>{}, shape<dyn, 4>{});
  static_assert(inferred.ok && inferred.dims == extents<2>{6, 4});
  constexpr auto inferred_middle = rule(shape<2, 3, 4>{}, shape<2, dyn, 3>{});
  static_assert(inferred_middle.ok && inferred_middle.dims == extents<3>{2, 4, 3});
  constexpr auto to_scalar = rule(shape<1, 1>{}, shape<>{});
  static_assert(to_scalar.ok);
  constexpr auto empty = rule(shape<0, 3>{}, shape<dyn, 3>{});
  static_assert(empty.ok && empty.dims == extents<2>{0, 3});

  static_assert(!rule(shape<2, 3>{}, shape<4, 2>{}).ok);     // 6 vs 8 elements
  static_assert(!rule(shape<2, 3>{}, shape<4, dyn>{}).ok);   // 6 is not a multiple of 4
  static_assert(!rule(shape<2, 3>{}, shape<dyn, dyn>{}).ok); // two dyn extents
  static_assert(!rule(shape<2, 0>{}, shape<dyn, 0>{}).ok);   // nothing to infer from

  // A dyn input is unknown at compile time: the rule passes and keeps the target's dyn.
  constexpr auto batch = rule(shape<dyn, 28, 28>{}, shape<dyn, 784>{});
  static_assert(batch.ok && batch.dims == extents<2>{dyn, 784});
  static_assert(!rule(shape<dyn, 3>{}, shape<dyn, dyn>{}).ok);  // still at most one dyn

  // Run time: the same function with the real extents.
  const auto run = st::reshape_rule(extents<3>{5, 28, 28}, shape<dyn, 784>::dims);
  REQUIRE(run.ok);
  REQUIRE(run.dims == extents<2>{5, 784});
  REQUIRE_FALSE(st::reshape_rule(extents<2>{5, 3}, shape<dyn, 4>::dims).ok);
  REQUIRE_FALSE(st::reshape_rule(extents<2>{5, 3}, shape<4, 4>::dims).ok);
}

TEST_CASE("shape: transpose_rule", "[shape]") {
  constexpr auto matrix = st::transpose_rule(shape<2, 3>::dims);
  static_assert(matrix.ok && matrix.dims == extents<2>{3, 2});
  constexpr auto batched = st::transpose_rule(shape<dyn, 2, 3>::dims);
  static_assert(batched.ok && batched.dims == extents<3>{dyn, 3, 2});
  REQUIRE(st::transpose_rule(extents<4>{1, 2, 3, 4}).dims == extents<4>{1, 2, 4, 3});
}

TEST_CASE("shape: broadcast_shape, matmul_shape and reduce_shape", "[shape]") {
  static_assert(std::is_same_v<st::broadcast_shape<shape<2, 3>, shape<3>>, shape<2, 3>>);
  static_assert(std::is_same_v<st::broadcast_shape<shape<4, 1, 3>, shape<2, 1>>, shape<4, 2, 3>>);
  static_assert(std::is_same_v<st::broadcast_shape<shape<dyn, 3>, shape<3>>, shape<dyn, 3>>);
  static_assert(std::is_same_v<st::broadcast_shape<shape<dyn, 1>, shape<dyn, 8>>, shape<dyn, 8>>);
  static_assert(std::is_same_v<st::broadcast_shape<shape<>, shape<dyn, 8>>, shape<dyn, 8>>);
  static_assert(std::is_same_v<st::broadcast_shape<shape<dyn, 8>, shape<4, 8>>, shape<4, 8>>);

  static_assert(std::is_same_v<st::matmul_shape<shape<2, 3>, shape<3, 4>>, shape<2, 4>>);
  static_assert(std::is_same_v<st::matmul_shape<shape<dyn, 16>, shape<16, 32>>, shape<dyn, 32>>);
  static_assert(std::is_same_v<st::matmul_shape<shape<dyn, 5, 3>, shape<dyn, 3, 5>>, shape<dyn, 5, 5>>);

  static_assert(std::is_same_v<st::reduce_shape<shape<2, 3, 4>, 1, false>, shape<2, 4>>);
  static_assert(std::is_same_v<st::reduce_shape<shape<2, 3, 4>, -1, true>, shape<2, 3, 1>>);
  static_assert(std::is_same_v<st::reduce_shape<shape<dyn, 10>, -1, false>, shape<dyn>>);
  static_assert(std::is_same_v<st::reduce_shape<shape<dyn, 10>, -2, true>, shape<1, 10>>);
  static_assert(std::is_same_v<st::reduce_shape<shape<5>, 0, false>, shape<>>);

  REQUIRE(st::broadcast_shape<shape<dyn, 3>, shape<3>>{} == shape<dyn, 3>{});
}

TEST_CASE("shape: format_dims and fmt formatting in Keras' style", "[shape][format]") {
  REQUIRE(st::format_dims(extents<2>{dyn, 16}) == "(None, 16)");
  REQUIRE(st::format_dims(extents<1>{16}) == "(16,)");
  REQUIRE(st::format_dims(extents<0>{}) == "()");
  REQUIRE(st::format_dims(extents<3>{2, 0, dyn}) == "(2, 0, None)");
  REQUIRE(st::format_dims(extents<1>{dyn}) == "(None,)");

  REQUIRE(fmt::format("{}", shape<dyn, 16>{}) == "(None, 16)");
  REQUIRE(fmt::format("{}", shape<16>{}) == "(16,)");
  REQUIRE(fmt::format("{}", shape<>{}) == "()");
  REQUIRE(fmt::format("{}", shape<4, 28, 28, 1>{}) == "(4, 28, 28, 1)");
  REQUIRE(fmt::format("[{:>12}]", shape<dyn, 16>{}) == "[  (None, 16)]");  // string format specs apply
}

TEST_CASE("shape: check_shapes throws shape_error naming both shapes", "[shape][errors]") {
  REQUIRE_NOTHROW(st::check_shapes(true, "add", extents<2>{3, 4}, extents<1>{4}));
  REQUIRE_THROWS_AS(st::check_shapes(false, "add", extents<2>{3, 4}, extents<1>{5}), st::shape_error);
  REQUIRE_THROWS_AS(st::check_shapes(false, "add", extents<2>{3, 4}, extents<1>{5}), std::invalid_argument);
  REQUIRE_THROWS_WITH(st::check_shapes(false, "add", extents<2>{3, 4}, extents<1>{5}),
                      Catch::Contains("add") && Catch::Contains("(3, 4)") && Catch::Contains("(5,)"));
  REQUIRE_THROWS_WITH(st::check_shapes(false, "matmul", extents<2>{dyn, 3}, extents<0>{}),
                      Catch::Contains("matmul") && Catch::Contains("(None, 3)") && Catch::Contains("()"));

  // The run-time path of a rule: static dims and real extents through broadcast_rule, then check_shapes.
  using batch = shape<dyn, 3>;
  const extents<2> a{5, 3}, b{6, 3};
  const auto result = st::broadcast_rule(batch::dims, batch::dims, a, b);
  REQUIRE_THROWS_WITH(st::check_shapes(result.ok, "multiply", a, b),
                      Catch::Contains("multiply") && Catch::Contains("(5, 3)") && Catch::Contains("(6, 3)"));
}
