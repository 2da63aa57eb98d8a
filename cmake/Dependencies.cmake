# Third-party packages. All come from Debian (scripts/bootstrap.sh installs them);
# an official LibTorch download works too: -DCMAKE_PREFIX_PATH=/path/to/libtorch
# (use the cxx11-ABI build, since yaml-cpp and fmt are built with that ABI).
find_package(Torch REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(Threads REQUIRED)
find_package(ZLIB REQUIRED)  # gzip'd IDX image files
find_package(PNG REQUIRED)   # attention-map pictures
if(ATTNLAB_BUILD_TESTS)
  find_package(Catch2 2 REQUIRED)
endif()

# yaml-cpp's exported target name changed across releases.
if(TARGET yaml-cpp::yaml-cpp)
  set(ATTNLAB_YAML_TARGET yaml-cpp::yaml-cpp)
else()
  set(ATTNLAB_YAML_TARGET yaml-cpp)
endif()
