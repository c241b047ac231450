#pragma once
/// \file How many threads strata's kernels use. Matrix products run on Eigen's GEMM, which
/// splits large products across threads when strata is built with OpenMP (the CMake target
/// strata::strata links it when the compiler has it; STRATA_OPENMP=OFF turns it off).
///
///     strata::set_threads(2);               // or fit's option .threads = 2
///     int n = strata::threads();            // 1 when built without OpenMP

#include <Eigen/Core>

namespace strata {

/// Whether this build can run kernels on several threads.
constexpr bool parallel_kernels() {
#ifdef _OPENMP
  return true;
#else
  return false;
#endif
}

/// Sets the number of threads matrix products may use (0: all the machine offers).
inline void set_threads(int count) { Eigen::setNbThreads(count > 0 ? count : 0); }

/// The number of threads matrix products use.
inline int threads() { return Eigen::nbThreads(); }

}  // namespace strata
