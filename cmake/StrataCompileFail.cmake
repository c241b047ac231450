# cmake -DBUILD_DIR=<dir> -DTARGET=<target> -DMATCHES_FILE=<file> [-DCONFIG=<cfg>] -P StrataCompileFail.cmake
#
# Builds <target> in <dir>; succeeds only if the build fails and the compiler's
# diagnostics match every regex in MATCHES_FILE (STRATA_MATCH_0..STRATA_MATCH_<COUNT-1>).
# Used by strata_add_compile_fail_test() (cmake/StrataTesting.cmake).

foreach(var BUILD_DIR TARGET MATCHES_FILE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "StrataCompileFail.cmake: -D${var}=... is required")
  endif()
endforeach()

set(config_args "")
if(CONFIG)
  set(config_args --config "${CONFIG}")
endif()

set(ENV{LC_ALL} C) # plain ASCII quotes in GCC's diagnostics, whatever the user's locale
execute_process(
  COMMAND "${CMAKE_COMMAND}" --build "${BUILD_DIR}" --target "${TARGET}" ${config_args}
  RESULT_VARIABLE result
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output) # same variable: stdout and stderr interleaved
# Read the regexes only now: the build above may have re-run CMake, which rewrites them.
include("${MATCHES_FILE}")

# Keep the compiler's diagnostics: drop ninja/make progress lines and the echoed
# command line that follows ninja's "FAILED:" (it names the source file, which
# would let a regex match trivially).
set(diagnostics "\n${output}")
string(REGEX REPLACE "\nFAILED: [^\n]*\n[^\n]*" "" diagnostics "${diagnostics}")
string(REGEX REPLACE "\n\\[[0-9]+/[0-9]+\\] [^\n]*" "" diagnostics "${diagnostics}")
string(REGEX REPLACE "\n(ninja|gmake|make)(\\[[0-9]+\\])?: [^\n]*" "" diagnostics "${diagnostics}")
string(REGEX REPLACE "^\n+" "" diagnostics "${diagnostics}")

# The first <n> lines of <text>, without going through CMake lists (compiler output
# is full of ';' and '[' that lists would mangle).
function(first_lines text n out)
  set(head "")
  set(rest "${text}")
  foreach(i RANGE 1 ${n})
    string(FIND "${rest}" "\n" pos)
    if(pos EQUAL -1)
      string(APPEND head "${rest}")
      set(rest "")
      break()
    endif()
    math(EXPR next "${pos} + 1")
    string(SUBSTRING "${rest}" 0 ${next} line)
    string(SUBSTRING "${rest}" ${next} -1 rest)
    string(APPEND head "${line}")
  endforeach()
  if(NOT rest STREQUAL "")
    string(APPEND head "[... output truncated ...]\n")
  endif()
  set(${out} "${head}" PARENT_SCOPE)
endfunction()

if(result EQUAL 0)
  message(FATAL_ERROR "${TARGET}: compiled, but it must fail to compile")
endif()

set(missing "")
math(EXPR last "${STRATA_MATCH_COUNT} - 1")
foreach(i RANGE 0 ${last})
  if(NOT diagnostics MATCHES "${STRATA_MATCH_${i}}")
    string(APPEND missing "  ${STRATA_MATCH_${i}}\n")
  endif()
endforeach()

if(NOT missing STREQUAL "")
  first_lines("${diagnostics}" 40 head)
  # NOTICE prints verbatim; FATAL_ERROR would re-wrap the compiler's lines.
  message(NOTICE
    "${TARGET}: failed to compile, but the diagnostics do not match:\n"
    "${missing}"
    "First 40 lines of compiler output:\n${head}")
  message(FATAL_ERROR "${TARGET}: diagnostics do not match")
endif()
message(STATUS "${TARGET}: failed to compile, diagnostics match all ${STRATA_MATCH_COUNT} pattern(s)")
