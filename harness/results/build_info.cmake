# The commit and build flags, captured at configure time into build_info.hpp for the results
# JSON. Only the source tree's own repository counts: a copy without .git inside another
# repository must not report that repository's commit.
set(BB_BUILD_COMMIT "")
set(BB_BUILD_DIRTY false)
find_package(Git QUIET)
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} -C ${PROJECT_SOURCE_DIR} rev-parse --show-toplevel
                  OUTPUT_VARIABLE _bb_top OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE _bb_rc)
  get_filename_component(_bb_src_real ${PROJECT_SOURCE_DIR} REALPATH)
  if(_bb_rc EQUAL 0)
    get_filename_component(_bb_top_real "${_bb_top}" REALPATH)
  endif()
  if(_bb_rc EQUAL 0 AND _bb_top_real STREQUAL _bb_src_real)
    execute_process(COMMAND ${GIT_EXECUTABLE} -C ${PROJECT_SOURCE_DIR} rev-parse --short=12 HEAD
                    OUTPUT_VARIABLE BB_BUILD_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    execute_process(COMMAND ${GIT_EXECUTABLE} -C ${PROJECT_SOURCE_DIR} status --porcelain --untracked-files=no
                    OUTPUT_VARIABLE _bb_status OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(NOT _bb_status STREQUAL "")
      set(BB_BUILD_DIRTY true)
    endif()
    # Re-configure when HEAD moves (a commit, a checkout), so the commit is never stale: watch
    # HEAD and the branch it points at (git-path resolves both inside worktrees).
    set(_bb_watch HEAD)
    execute_process(COMMAND ${GIT_EXECUTABLE} -C ${PROJECT_SOURCE_DIR} symbolic-ref -q HEAD
                    OUTPUT_VARIABLE _bb_branch OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(_bb_branch)
      list(APPEND _bb_watch ${_bb_branch})
    endif()
    foreach(_bb_ref ${_bb_watch})
      execute_process(COMMAND ${GIT_EXECUTABLE} -C ${PROJECT_SOURCE_DIR} rev-parse --git-path ${_bb_ref}
                      OUTPUT_VARIABLE _bb_path OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
      if(_bb_path AND NOT IS_ABSOLUTE "${_bb_path}")
        set(_bb_path "${PROJECT_SOURCE_DIR}/${_bb_path}")
      endif()
      if(_bb_path AND EXISTS "${_bb_path}")
        set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_bb_path}")
      endif()
    endforeach()
  endif()
endif()
string(TOUPPER "${CMAKE_BUILD_TYPE}" _bb_bt)
set(BB_BUILD_CXX_FLAGS "${CMAKE_CXX_FLAGS} ${CMAKE_CXX_FLAGS_${_bb_bt}}")
set(BB_BUILD_CUDA_FLAGS "${CMAKE_CUDA_FLAGS} ${CMAKE_CUDA_FLAGS_${_bb_bt}}")
set(BB_BUILD_WITH_CUDA false)
if(BB_HAVE_CUDA)
  set(BB_BUILD_WITH_CUDA true)
endif()
set(BB_BUILD_WITH_MPI false)
if(BB_HAVE_MPI)
  set(BB_BUILD_WITH_MPI true)
endif()
string(TIMESTAMP BB_BUILD_TIME "%Y-%m-%dT%H:%M:%SZ" UTC)
configure_file(${CMAKE_CURRENT_LIST_DIR}/build_info.hpp.in ${PROJECT_BINARY_DIR}/generated/results/build_info.hpp @ONLY)
