# Builds tests/cmake_consumer against bridgebench and runs it (ctest: consumer_add_subdirectory,
# consumer_find_package; tests/CMakeLists.txt). Host only (-DBB_WITH_CUDA=OFF), -j2, and only
# what the consumer needs: bridgebench's bench, tools and tests stay off.
#   cmake -DMODE=subdir|install -DBB_SOURCE=<bridgebench tree> -DWORK=<scratch dir>
#         [-DGENERATOR=...] [-DCXX=...] [-DBUILD_TYPE=...] -P run.cmake
foreach(v MODE BB_SOURCE WORK)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "run.cmake: -D${v}= is required")
  endif()
endforeach()
set(consumer_src ${CMAKE_CURRENT_LIST_DIR})
if(NOT BUILD_TYPE)
  set(BUILD_TYPE Release)
endif()
set(common -DCMAKE_BUILD_TYPE=${BUILD_TYPE})
if(GENERATOR)
  list(APPEND common -G ${GENERATOR})
endif()
if(CXX)
  list(APPEND common -DCMAKE_CXX_COMPILER=${CXX})
endif()

function(step)
  string(REPLACE ";" " " shown "${ARGN}")
  message(STATUS "run.cmake: ${shown}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "run.cmake: failed (${rc}): ${shown}")
  endif()
endfunction()

if(MODE STREQUAL "subdir")
  # GTest and Google Benchmark are disabled outright: a REQUIRED find of either fails the
  # configure, so this proves add_subdirectory(bridgebench) does not need them.
  step(${CMAKE_COMMAND} -S ${consumer_src} -B ${WORK}/build ${common} --no-warn-unused-cli
       -DBRIDGEBENCH_SOURCE_DIR=${BB_SOURCE} -DBB_WITH_CUDA=OFF
       -DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON -DCMAKE_DISABLE_FIND_PACKAGE_benchmark=ON)
  step(${CMAKE_COMMAND} --build ${WORK}/build --target bb_consumer -j2)
elseif(MODE STREQUAL "install")
  # A fresh prefix each time, so a file the install forgot cannot linger from an earlier run.
  set(prefix ${WORK}/prefix)
  file(REMOVE_RECURSE ${prefix})
  step(${CMAKE_COMMAND} -S ${BB_SOURCE} -B ${WORK}/bb-build ${common} --no-warn-unused-cli
       -DCMAKE_INSTALL_PREFIX=${prefix}
       -DBB_WITH_CUDA=OFF -DBB_BUILD_TESTS=OFF -DBB_BUILD_BENCH=OFF -DBB_BUILD_TOOLS=ON -DBB_INSTALL=ON
       -DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON -DCMAKE_DISABLE_FIND_PACKAGE_benchmark=ON)
  step(${CMAKE_COMMAND} --build ${WORK}/bb-build -j2)
  step(${CMAKE_COMMAND} --install ${WORK}/bb-build)
  foreach(f include/bridgebench/core/dtype.hpp include/bridgebench/plan/plan.hpp include/bridgebench/comm/comm.hpp
            include/bridgebench/bridge/strategies.def include/bridgebench/pattern.hpp bin/bridge-plan)
    if(NOT EXISTS ${prefix}/${f})
      message(FATAL_ERROR "run.cmake: the install lacks ${f}")
    endif()
  endforeach()
  # The consumer sees only the install: the source tree is not on its include path.
  step(${CMAKE_COMMAND} -S ${consumer_src} -B ${WORK}/build ${common} -DCMAKE_PREFIX_PATH=${prefix}
       -DBB_CONSUMER_PREFIX=${prefix})
  step(${CMAKE_COMMAND} --build ${WORK}/build --target bb_consumer -j2)
else()
  message(FATAL_ERROR "run.cmake: MODE is subdir or install, not '${MODE}'")
endif()
step(${WORK}/build/bb_consumer)
