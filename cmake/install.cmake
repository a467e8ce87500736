# Install rules and the bridgebench CMake package (included from the top CMakeLists.txt when
# BB_INSTALL is on). A consumer does find_package(bridgebench CONFIG REQUIRED) and links
# bridgebench::harness (or ::plan, ::core, ::kernels_host, ::kernels_cuda).
#
# Headers keep the build tree's spelling under one root, include/bridgebench:
#   core/*.hpp                   <- core/
#   plan/, comm/, bridge/, ...   <- harness/<room>/ (*.hpp, and bridge/strategies.def)
#   pattern.hpp, boxes.hpp, ...  <- kernels/
#   cuda_kernels.cuh, ...        <- kernels/cuda/ (CUDA builds)
include(CMakePackageConfigHelpers)

set(BB_INSTALL_INCLUDEDIR ${CMAKE_INSTALL_INCLUDEDIR}/bridgebench)
set(BB_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/bridgebench)

set(bb_exported bb_core bb_plan bb_kernels_host bb_harness)
if(TARGET bb_kernels_cuda)
  list(APPEND bb_exported bb_kernels_cuda)
endif()
install(TARGETS ${bb_exported} EXPORT bridgebenchTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

install(DIRECTORY ${PROJECT_SOURCE_DIR}/core/ DESTINATION ${BB_INSTALL_INCLUDEDIR}/core
        FILES_MATCHING PATTERN "*.hpp")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/harness/ DESTINATION ${BB_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.hpp" PATTERN "*.def")
file(GLOB bb_kernel_headers CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/kernels/*.hpp)
install(FILES ${bb_kernel_headers} DESTINATION ${BB_INSTALL_INCLUDEDIR})
if(TARGET bb_kernels_cuda)
  file(GLOB bb_cuda_headers CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/kernels/cuda/*.cuh)
  install(FILES ${bb_cuda_headers} DESTINATION ${BB_INSTALL_INCLUDEDIR})
endif()

# The executables that this configuration builds.
foreach(exe bridge_bench host_latency gemm_bench bench_kernels cupti_overhead bridge-plan)
  if(TARGET ${exe})
    install(TARGETS ${exe} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
endforeach()

install(EXPORT bridgebenchTargets NAMESPACE bridgebench:: DESTINATION ${BB_INSTALL_CMAKEDIR}
        FILE bridgebenchTargets.cmake)

# What the exported targets need from the consumer's machine (see bridgebenchConfig.cmake.in).
set(BB_PACKAGE_WITH_CUDA ${BB_HAVE_CUDA})
if(BB_HAVE_CUDA AND BB_HAVE_MPI)
  set(BB_PACKAGE_WITH_MPI ON)
else()
  set(BB_PACKAGE_WITH_MPI OFF)
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/bridgebenchConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/bridgebenchConfig.cmake
                              INSTALL_DESTINATION ${BB_INSTALL_CMAKEDIR})
# 0.x: a minor version may break the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/bridgebenchConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/bridgebenchConfig.cmake ${PROJECT_BINARY_DIR}/bridgebenchConfigVersion.cmake
        DESTINATION ${BB_INSTALL_CMAKEDIR})
