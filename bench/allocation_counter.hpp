#pragma once
// Counts every heap allocation a benchmark makes: operator new (std::vector, std::string, ...)
// and the malloc calls Eigen makes for its buffers. Eigen's calls are inlined into the benchmark's
// own object files, so linking with -Wl,--wrap=malloc (bench/CMakeLists.txt) routes them here.
// Include this header in exactly one translation unit of the benchmark.

#include <atomic>
#include <cstdlib>
#include <new>

namespace bench {
inline std::atomic<long> allocations{0};

/// Runs the benchmark loop of `step` after one warm-up call, and returns the heap allocations
/// per iteration (what steady state costs).
template <class State, class Step>
double allocations_per_iteration(State& state, Step&& step) {
  step();
  const long before = allocations.load();
  long iterations = 0;
  for (auto _ : state) {
    step();
    ++iterations;
  }
  return double(allocations.load() - before) / double(iterations > 0 ? iterations : 1);
}
}  // namespace bench

extern "C" {
void* __real_malloc(std::size_t size);  // NOLINT: the names the linker's --wrap gives
void* __wrap_malloc(std::size_t size) {  // NOLINT
  bench::allocations.fetch_add(1, std::memory_order_relaxed);
  return __real_malloc(size);
}
}

// (noinline: inlined into callers, g++ 12 reports a false -Wmismatched-new-delete.)
[[gnu::noinline]] void* operator new(std::size_t size) {
  bench::allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = __real_malloc(size == 0 ? 1 : size)) return p;  // counted once, here
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
