# Helpers for strata's test suite; included from tests/CMakeLists.txt, which defines
# the targets used here: strata_catch_main (CATCH_CONFIG_MAIN, compiled once) and,
# when STRATA_TEST_PCH is ON, strata_test_pch (the precompiled header tests reuse).

include_guard(GLOBAL)
set(_STRATA_CMAKE_DIR "${CMAKE_CURRENT_LIST_DIR}")

# Write <content> to <path> only when it differs, so reconfiguring rebuilds nothing.
function(_strata_write_if_changed path content)
  if(EXISTS "${path}")
    file(READ "${path}" old)
    if(old STREQUAL content)
      return()
    endif()
  endif()
  file(WRITE "${path}" "${content}")
endfunction()

# strata_add_test(NAME <name> SOURCES <a.test.cpp>... [NO_PCH])
#   One executable `test_<name>` and one ctest test `<name>` (Catch2 runs all its
#   TEST_CASEs; no per-case discovery). Tests get tests/ on the include path and, with
#   STRATA_TEST_PCH, Catch2 + support/strata_test.hpp force-included from a precompiled
#   header. NO_PCH opts out: for a test that must #define something (EIGEN_*, CATCH_*)
#   before those headers, or has its own compile definitions.
function(strata_add_test)
  cmake_parse_arguments(PARSE_ARGV 0 arg "NO_PCH" "NAME" "SOURCES")
  if(NOT arg_NAME OR NOT arg_SOURCES)
    message(FATAL_ERROR "strata_add_test: NAME and SOURCES are required")
  endif()
  set(target test_${arg_NAME})
  add_executable(${target} ${arg_SOURCES})
  target_link_libraries(${target} PRIVATE strata::strata strata_dev_flags strata_catch_main)
  if(TARGET strata_test_pch AND NOT arg_NO_PCH)
    target_precompile_headers(${target} REUSE_FROM strata_test_pch)
  endif()
  add_test(NAME ${arg_NAME} COMMAND ${target})
  set_tests_properties(${arg_NAME} PROPERTIES LABELS unit)
endfunction()

# strata_add_compile_fail_test(NAME <name> SOURCE <file.cpp> MATCHES <regex>...)
#   An EXCLUDE_FROM_ALL executable `compile_fail_<name>` and a ctest test of the same
#   name that builds it; the test passes only if the build fails and the compiler's
#   diagnostics match every regex (CMake regex syntax, LC_ALL=C so quotes are ASCII).
function(strata_add_compile_fail_test)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "NAME;SOURCE" "MATCHES")
  if(NOT arg_NAME OR NOT arg_SOURCE OR NOT arg_MATCHES)
    message(FATAL_ERROR "strata_add_compile_fail_test: NAME, SOURCE and MATCHES are required")
  endif()
  set(target compile_fail_${arg_NAME})
  add_executable(${target} EXCLUDE_FROM_ALL ${arg_SOURCE})
  target_link_libraries(${target} PRIVATE strata::strata strata_dev_flags)

  # Regexes go through a file, not the command line, so no character needs quoting.
  set(matches_file "${CMAKE_CURRENT_BINARY_DIR}/${target}.matches.cmake")
  set(content "")
  set(i 0)
  foreach(re IN LISTS arg_MATCHES)
    string(APPEND content "set(STRATA_MATCH_${i} [==[${re}]==])\n")
    math(EXPR i "${i} + 1")
  endforeach()
  string(APPEND content "set(STRATA_MATCH_COUNT ${i})\n")
  _strata_write_if_changed("${matches_file}" "${content}")

  add_test(NAME ${target}
    COMMAND "${CMAKE_COMMAND}"
      "-DBUILD_DIR=${CMAKE_BINARY_DIR}"
      "-DTARGET=${target}"
      "-DCONFIG=$<CONFIG>"
      "-DMATCHES_FILE=${matches_file}"
      -P "${_STRATA_CMAKE_DIR}/StrataCompileFail.cmake")
  # Two ninja processes must never work in the same build directory at once.
  set_tests_properties(${target} PROPERTIES
    LABELS compile_fail
    RESOURCE_LOCK strata_build_tree)
endfunction()

# strata_add_header_check()
#   One generated .cpp per public header (include/strata/**/*.hpp) that includes only
#   that header (twice: include guards), all compiled into the OBJECT library
#   `strata_headers_standalone`, part of `all`. The glob is re-checked at every build.
function(strata_add_header_check)
  set(include_dir "${PROJECT_SOURCE_DIR}/include")
  file(GLOB_RECURSE headers CONFIGURE_DEPENDS "${include_dir}/strata/*.hpp")
  if(NOT headers)
    message(STATUS "strata: no headers under include/strata yet; header check skipped")
    return()
  endif()
  set(sources "")
  foreach(header IN LISTS headers)
    file(RELATIVE_PATH rel "${include_dir}" "${header}")
    set(source "${CMAKE_CURRENT_BINARY_DIR}/header_check/${rel}.cpp")
    _strata_write_if_changed("${source}" "#include <${rel}>\n#include <${rel}>\n")
    list(APPEND sources "${source}")
  endforeach()
  add_library(strata_headers_standalone OBJECT ${sources})
  target_link_libraries(strata_headers_standalone PRIVATE strata::strata strata_dev_flags)
endfunction()
