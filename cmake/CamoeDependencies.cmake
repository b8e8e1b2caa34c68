# Finds the Debian-packaged dependencies (scripts/install-deps.sh installs them)
# and exposes each as an imported target, so folders link by name.
find_package(Threads REQUIRED)
find_package(ZLIB REQUIRED)
find_package(Protobuf REQUIRED)
find_package(absl CONFIG REQUIRED)
find_package(glog CONFIG REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(ICU REQUIRED IMPORTED_TARGET icu-uc)
pkg_check_modules(STB REQUIRED IMPORTED_TARGET stb)
pkg_check_modules(LINKGRAMMAR REQUIRED IMPORTED_TARGET link-grammar)
pkg_check_modules(FFMPEG REQUIRED IMPORTED_TARGET libavformat libavcodec libswscale libavutil)
pkg_check_modules(MPI REQUIRED IMPORTED_TARGET ompi-c)
# Optional: the CUDA toolkit (for the NCCL communicator; worker/dist).
find_package(CUDAToolkit QUIET)

# libtorch: Debian's libtorch-dev (CPU) or, with CAMOE_WITH_CUDA, a CUDA build
# such as the PyTorch wheel's (pass -DCMAKE_PREFIX_PATH=<torch>/share/cmake).
find_package(Torch REQUIRED)
add_library(camoe_torch INTERFACE)
target_link_libraries(camoe_torch INTERFACE ${TORCH_LIBRARIES})
separate_arguments(camoe_torch_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
target_compile_options(camoe_torch INTERFACE ${camoe_torch_flags})
if(TORCH_INCLUDE_DIRS)
  target_include_directories(camoe_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})
endif()
