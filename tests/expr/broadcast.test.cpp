// Broadcasting of elementwise operands: the static classification (same / replicate / general),
// and, for each path, values and gradients against plain loops, through both backward sweeps
// (the one-pass windows of a sum(...) loss and the general reverse sweep), with extents that
// span several windows and cut broadcast blocks, and with zero-size dyn extents.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "support/strata_test.hpp"

namespace st = strata;
using st::dyn;
using st::shape;
using kind = st::detail::broadcast_kind;

namespace {

template <class Operand, class Out>
constexpr bool planned(kind k, bool rows) {
  constexpr st::detail::broadcast_plan plan = st::detail::plan_broadcast<Operand, Out>();
  return plan.kind == k && plan.rows == rows;
}

// Nothing broadcast: equal shapes, dyn against dyn, and a static 1 against a static 1.
static_assert(planned<shape<3, 4>, shape<3, 4>>(kind::same, false));
static_assert(planned<shape<dyn, 4>, shape<dyn, 4>>(kind::same, false));
static_assert(planned<shape<1, 4>, shape<1, 4>>(kind::same, false));
static_assert(planned<shape<1>, shape<1>>(kind::same, false));
static_assert(planned<shape<>, shape<>>(kind::same, false));
// Leading axes broadcast (missing or static 1), the rest kept: replicate, columns only.
static_assert(planned<shape<4>, shape<dyn, 4>>(kind::replicate, false));  // a bias
static_assert(planned<shape<1, 4>, shape<3, 4>>(kind::replicate, false));
static_assert(planned<shape<3, 4>, shape<dyn, 3, 4>>(kind::replicate, false));
static_assert(planned<shape<1, 3, 4>, shape<2, 3, 4>>(kind::replicate, false));
static_assert(planned<shape<1, 4>, shape<dyn, 3, 4>>(kind::replicate, false));
static_assert(planned<shape<dyn>, shape<3, dyn>>(kind::replicate, false));  // a dyn extent is never broadcast
// The last axis broadcast too: replicate with `rows`.
static_assert(planned<shape<dyn, 1>, shape<dyn, 4>>(kind::replicate, true));  // keepdims
static_assert(planned<shape<3, 1>, shape<3, 4>>(kind::replicate, true));
static_assert(planned<shape<>, shape<dyn, 4>>(kind::replicate, true));  // rank 0
static_assert(planned<shape<1, 1>, shape<2, 3>>(kind::replicate, true));
static_assert(planned<shape<3, 1>, shape<dyn, 3, 4>>(kind::replicate, true));  // (1, s, 1)
// A broadcast axis after a kept one: general.
static_assert(planned<shape<dyn, 1, 4>, shape<dyn, 3, 4>>(kind::general, false));
static_assert(planned<shape<2, 1, 4>, shape<2, 3, 4>>(kind::general, false));
static_assert(planned<shape<dyn, 1, 1>, shape<dyn, 3, 4>>(kind::general, true));
static_assert(planned<shape<2, 1, 3, 1>, shape<2, 5, 3, 4>>(kind::general, true));

// ---- plain-loop references ----

template <std::size_t RankA, std::size_t RankB>
auto numpy_extents(const st::extents<RankA>& a, const st::extents<RankB>& b) {
  constexpr std::size_t rank = std::max(RankA, RankB);
  st::extents<rank> out{};
  for (std::size_t i = 0; i < rank; ++i) {
    const st::index ea = i + RankA >= rank ? a[i + RankA - rank] : 1;
    const st::index eb = i + RankB >= rank ? b[i + RankB - rank] : 1;
    out[i] = ea == 1 ? eb : ea;
  }
  return out;
}

/// Row-major offset of the operand element (extents `in`) read at output position `position`.
template <std::size_t Rank, std::size_t OutRank>
st::index source_offset(const st::extents<Rank>& in, const st::extents<OutRank>& position) {
  st::index offset = 0;
  for (std::size_t i = 0; i < Rank; ++i) offset = offset * in[i] + (in[i] == 1 ? 0 : position[OutRank - Rank + i]);
  return offset;
}

/// f = tanh(a·b) and loss = Σ f ⊙ g by loops, with d loss / da and d loss / db.
struct reference {
  std::vector<double> f, da, db;
  double loss = 0;
};

template <class A, class B, class G>
reference loops(const A& a, const B& b, const G& g) {
  reference r{std::vector<double>(std::size_t(g.size())), std::vector<double>(std::size_t(a.size())),
              std::vector<double>(std::size_t(b.size())), 0};
  const auto dims = g.dims();
  auto position = decltype(dims){};
  for (st::index i = 0; i < g.size(); ++i) {
    st::index rest = i;
    for (std::size_t axis = dims.size(); axis-- > 0;) {
      position[axis] = rest % dims[axis];
      rest /= dims[axis];
    }
    const st::index ia = source_offset(a.dims(), position), ib = source_offset(b.dims(), position);
    const double x = a.data()[ia], y = b.data()[ib], t = std::tanh(x * y), w = g.data()[i];
    r.f[std::size_t(i)] = t;
    r.loss += w * t;
    r.da[std::size_t(ia)] += w * (1 - t * t) * y;
    r.db[std::size_t(ib)] += w * (1 - t * t) * x;
  }
  return r;
}

template <class Tensor>
void require_equal(const Tensor& actual, const std::vector<double>& expected, const char* what) {
  REQUIRE(std::size_t(actual.size()) == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO(what << " at flat index " << i);
    REQUIRE(actual.data()[i] == Approx(expected[i]).epsilon(1e-12).margin(1e-12));
  }
}

/// tanh(a·b) against loops: its values, and the gradients of Σ tanh(a·b) ⊙ g for both operands
/// through the one-pass windows (a sum of an elementwise expression) and through the general
/// reverse sweep (the same loss times 1, which is no longer a sum at the top).
template <class A, class B>
void check_against_loops(const A& a, const B& b) {
  using out_shape = st::broadcast_shape<typename A::shape_type, typename B::shape_type>;
  const auto dims = numpy_extents(a.dims(), b.dims());
  const auto g = st::tensor<double, out_shape>::random_uniform(dims, 99, -1, 1);
  const reference r = loops(a, b, g);

  const st::tensor<double, out_shape> f = st::tanh(a * b);
  REQUIRE(f.dims() == dims);
  require_equal(f, r.f, "value");

  const auto loss = st::sum(st::tanh(a * b) * g);
  {
    const auto [value, grads] = st::value_and_grad(loss, a, b);
    CHECK(value == Approx(r.loss).epsilon(1e-12).margin(1e-12));
    require_equal(std::get<0>(grads), r.da, "windows: d/da");
    require_equal(std::get<1>(grads), r.db, "windows: d/db");
  }
  {
    const auto [value, grads] = st::value_and_grad(loss * 1.0, a, b);
    CHECK(value == Approx(r.loss).epsilon(1e-12).margin(1e-12));
    require_equal(std::get<0>(grads), r.da, "general sweep: d/da");
    require_equal(std::get<1>(grads), r.db, "general sweep: d/db");
  }
}

template <st::index... Dims>
auto sample(const st::extents<sizeof...(Dims)>& dims, std::uint64_t seed) {
  return st::testing::uniform<Dims...>(dims, seed, -1.5, 1.5);
}

}  // namespace

// A loss's windows hold 4096 elements: 1024 canvas columns when the last extent is 4. The large
// extents below give several windows, the last one partial.

TEST_CASE("same shapes", "[broadcast]") {
  SECTION("static") { check_against_loops(sample<3, 4>({3, 4}, 1), sample<3, 4>({3, 4}, 2)); }
  SECTION("dyn, several windows") {
    check_against_loops(sample<dyn, 4>({2500, 4}, 3), sample<dyn, 4>({2500, 4}, 4));
  }
}

TEST_CASE("replicate: leading axes broadcast", "[broadcast]") {
  SECTION("(None, f) with (f), several windows") {
    check_against_loops(sample<dyn, 4>({2500, 4}, 5), sample<4>({4}, 6));
  }
  SECTION("(f) with (None, f)") { check_against_loops(sample<4>({4}, 7), sample<dyn, 4>({5, 4}, 8)); }
  SECTION("(None, s, f) with (s, f): windows start inside a block of s columns") {
    check_against_loops(sample<dyn, 3, 4>({900, 3, 4}, 9), sample<3, 4>({3, 4}, 10));
  }
  SECTION("(1, f) with (None, s, f)") {
    check_against_loops(sample<1, 4>({1, 4}, 11), sample<dyn, 3, 4>({2, 3, 4}, 12));
  }
  SECTION("a last extent larger than a window: one column per window") {
    check_against_loops(sample<3, dyn>({3, 5000}, 13), sample<dyn>({5000}, 14));
  }
}

TEST_CASE("replicate: the last axis broadcast (rows)", "[broadcast]") {
  SECTION("keepdims (None, 1) with (None, f), several windows") {
    check_against_loops(sample<dyn, 4>({2500, 4}, 15), sample<dyn, 1>({2500, 1}, 16));
  }
  SECTION("a rank-0 tensor, several windows") {
    check_against_loops(sample<>({}, 17), sample<dyn, 4>({2500, 4}, 18));
  }
  SECTION("(1, 1) with (2, 3)") { check_against_loops(sample<2, 3>({2, 3}, 19), sample<1, 1>({1, 1}, 20)); }
  SECTION("(s, 1) with (None, s, f): windows start inside a block") {
    check_against_loops(sample<3, 1>({3, 1}, 21), sample<dyn, 3, 4>({700, 3, 4}, 22));
  }
  SECTION("(None, 1) with (1, f): both operands broadcast") {
    check_against_loops(sample<dyn, 1>({3000, 1}, 23), sample<1, 4>({1, 4}, 24));
  }
  SECTION("keepdims with a last extent larger than a window") {
    check_against_loops(sample<3, dyn>({3, 5000}, 25), sample<3, 1>({3, 1}, 26));
  }
}

TEST_CASE("general: a broadcast axis after a kept one", "[broadcast]") {
  SECTION("(None, 1, f) with (None, s, f), several windows") {
    check_against_loops(sample<dyn, 1, 4>({700, 1, 4}, 27), sample<dyn, 3, 4>({700, 3, 4}, 28));
  }
  SECTION("(None, s, f) with (None, 1, 1)") {
    check_against_loops(sample<dyn, 3, 4>({2, 3, 4}, 29), sample<dyn, 1, 1>({2, 1, 1}, 30));
  }
  SECTION("rank 4, both operands general") {
    check_against_loops(sample<2, 1, 3, 1>({2, 1, 3, 1}, 31), sample<2, 5, 1, 4>({2, 5, 1, 4}, 32));
  }
}

TEST_CASE("an operand that is itself an expression is evaluated once and broadcast", "[broadcast]") {
  // exp(w) (replicate) and sqrt(m) (general) are evaluated into the node's buffers.
  auto x = sample<dyn, 3, 4>({600, 3, 4}, 41);
  auto w = sample<3, 4>({3, 4}, 42);
  auto m = st::testing::uniform<dyn, 1, 4>({600, 1, 4}, 43, 0.5, 2);
  const auto e = st::exp(w) * x + st::sqrt(m);
  const st::tensor<double, shape<dyn, 3, 4>> y = e;
  const auto g = st::tensor<double, shape<dyn, 3, 4>>::random_uniform({600, 3, 4}, 44, -1, 1);
  std::vector<double> dx(std::size_t(x.size())), dw(std::size_t(w.size())), dm(std::size_t(m.size()));
  double loss = 0;
  for (st::index b = 0; b < 600; ++b)
    for (st::index s = 0; s < 3; ++s)
      for (st::index f = 0; f < 4; ++f) {
        const double value = std::exp(w(s, f)) * x(b, s, f) + std::sqrt(m(b, 0, f)), weight = g(b, s, f);
        REQUIRE(y(b, s, f) == Approx(value).epsilon(1e-13));
        loss += weight * value;
        dx[std::size_t((b * 3 + s) * 4 + f)] += weight * std::exp(w(s, f));
        dw[std::size_t(s * 4 + f)] += weight * std::exp(w(s, f)) * x(b, s, f);
        dm[std::size_t(b * 4 + f)] += weight * 0.5 / std::sqrt(m(b, 0, f));
      }
  const auto check = [&](const auto& result) {
    const auto& [value, grads] = result;
    CHECK(value == Approx(loss).epsilon(1e-12));
    require_equal(std::get<0>(grads), dx, "d/dx");
    require_equal(std::get<1>(grads), dw, "d/dw");
    require_equal(std::get<2>(grads), dm, "d/dm");
  };
  check(st::value_and_grad(st::sum(e * g), x, w, m));
  check(st::value_and_grad(st::sum(e * g) * 1.0, x, w, m));
}

TEST_CASE("zero-size dyn extents give empty results and zero gradients", "[broadcast]") {
  SECTION("(0, 4) + (4) is a (0, 4) tensor") {
    const auto x = st::tensor<double, shape<dyn, 4>>::zeros({0, 4});
    const st::tensor<double, shape<4>> w{1, 2, 3, 4};
    const st::tensor<double, shape<dyn, 4>> y = x + w;
    REQUIRE(y.dims() == st::extents<2>{0, 4});
    REQUIRE(y.size() == 0);
    const auto [value, grads] = st::value_and_grad(st::sum(st::tanh(x * w) + w), x, w);
    CHECK(value == 0);
    CHECK(std::get<0>(grads).dims() == st::extents<2>{0, 4});
    CHECK(st::allclose(std::get<1>(grads), st::tensor<double, shape<4>>::zeros(), 0, 0));
    const auto [value2, grads2] = st::value_and_grad(st::sum(x * w) * 1.0, x, w);
    CHECK(value2 == 0);
    CHECK(st::allclose(std::get<1>(grads2), st::tensor<double, shape<4>>::zeros(), 0, 0));
  }
  SECTION("keepdims and general broadcasts of empty batches") {
    // Two distinct empty tensors both have data() == nullptr: a backward that matches tensors
    // by data address must still tell them apart (asked for together, they are not "the same
    // tensor twice").
    check_against_loops(sample<dyn, 1>({0, 1}, 51), sample<dyn, 4>({0, 4}, 52));
    check_against_loops(sample<dyn, 1, 4>({0, 1, 4}, 53), sample<dyn, 3, 4>({0, 3, 4}, 54));
  }
  SECTION("a zero last extent") {
    const auto x = st::tensor<double, shape<3, dyn>>::zeros({3, 0});
    const st::tensor<double, shape<3, 1>> column{{1}, {2}, {3}};
    const st::tensor<double, shape<3, dyn>> y = x * column;
    REQUIRE(y.dims() == st::extents<2>{3, 0});
    const auto [value, grads] = st::value_and_grad(st::sum(x * column), x, column);
    CHECK(value == 0);
    CHECK(st::allclose(std::get<1>(grads), st::tensor<double, shape<3, 1>>::zeros(), 0, 0));
  }
}
