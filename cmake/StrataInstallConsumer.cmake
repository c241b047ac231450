# cmake -DBUILD_DIR=<strata build dir> -DSOURCE_DIR=<consumer project> -DWORK_DIR=<scratch dir>
#       -DGENERATOR=<generator> [-DMAKE_PROGRAM=<ninja>] [-DCXX_COMPILER=<c++>] [-DCONFIG=<cfg>]
#       [-DDEPENDENCY_DIRS=<Pkg_DIR=path|...>] -P StrataInstallConsumer.cmake
#
# Installs the strata build tree into <scratch>/prefix, then configures, builds and
# runs the consumer project against it with find_package(strata REQUIRED).

foreach(var BUILD_DIR SOURCE_DIR WORK_DIR GENERATOR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "StrataInstallConsumer.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT CONFIG)
  set(CONFIG Release)
endif()

set(prefix "${WORK_DIR}/prefix")
set(consumer_build "${WORK_DIR}/build")
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT result EQUAL 0)
    message(NOTICE "${out}") # verbatim; FATAL_ERROR would re-wrap it
    message(FATAL_ERROR "install_consumer: ${what} failed (${result})")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()

run("install" "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}" --config "${CONFIG}")

set(configure_args
  -S "${SOURCE_DIR}" -B "${consumer_build}" -G "${GENERATOR}"
  "-DCMAKE_BUILD_TYPE=${CONFIG}"
  "-DCMAKE_PREFIX_PATH=${prefix}"
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
if(MAKE_PROGRAM)
  list(APPEND configure_args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()
if(CXX_COMPILER)
  list(APPEND configure_args "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}")
endif()
# Find the same Eigen/Boost/fmt/json as the strata build did ('|'-separated Pkg_DIR=path).
string(REPLACE "|" ";" dependency_dirs "${DEPENDENCY_DIRS}")
foreach(d IN LISTS dependency_dirs)
  list(APPEND configure_args "-D${d}")
endforeach()
run("configure" "${CMAKE_COMMAND}" ${configure_args})

# It must have found the installed copy, not some other strata.
file(STRINGS "${consumer_build}/CMakeCache.txt" strata_dir REGEX "^strata_DIR:")
string(REGEX REPLACE "^strata_DIR:[A-Z]+=" "" strata_dir "${strata_dir}")
file(REAL_PATH "${strata_dir}" strata_dir)
file(REAL_PATH "${prefix}" real_prefix)
string(FIND "${strata_dir}" "${real_prefix}/" at)
if(NOT at EQUAL 0)
  message(FATAL_ERROR "install_consumer: found strata in '${strata_dir}', not under '${real_prefix}'")
endif()

run("build" "${CMAKE_COMMAND}" --build "${consumer_build}" --config "${CONFIG}")

find_program(consumer_exe strata_consumer PATHS "${consumer_build}" "${consumer_build}/${CONFIG}"
  NO_DEFAULT_PATH NO_CACHE REQUIRED)
run("running the consumer" "${consumer_exe}")
message(STATUS "install_consumer: strata_consumer printed:\n${out}")
