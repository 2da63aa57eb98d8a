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

# jemalloc as the process's malloc, when found (Debian: libjemalloc-dev). glibc's arenas fragment
# when tensor sizes keep changing (the translator's bf16 run: 2.4 GiB peak, 1.5 with jemalloc,
# and a 1.4x faster step; docs/bench.md). Optional: without it attnlab tunes glibc's malloc
# instead (core/util/allocator.h). -DATTNLAB_JEMALLOC=OFF builds without it.
option(ATTNLAB_JEMALLOC "Link jemalloc as malloc when it is found" ON)
set(ATTNLAB_USE_JEMALLOC OFF)
if(ATTNLAB_JEMALLOC)
  find_library(ATTNLAB_JEMALLOC_LIBRARY NAMES jemalloc)
  if(ATTNLAB_JEMALLOC_LIBRARY)
    set(ATTNLAB_USE_JEMALLOC ON)  # not the cached path alone: -DATTNLAB_JEMALLOC=OFF on a built tree must win
  endif()
endif()
if(ATTNLAB_USE_JEMALLOC)
  message(STATUS "attnlab: malloc is jemalloc (${ATTNLAB_JEMALLOC_LIBRARY})")
else()
  message(STATUS "attnlab: malloc is the C library's (jemalloc not found or ATTNLAB_JEMALLOC=OFF)")
endif()

# Makes jemalloc the malloc of an executable: linked ahead of the C library (kept under a
# LibTorch that adds --as-needed, since no symbol of ours names it), with attnlab's settings
# (core/util/malloc_conf.cpp).
function(attnlab_use_jemalloc target)
  if(ATTNLAB_USE_JEMALLOC)
    set(conf ${PROJECT_SOURCE_DIR}/core/util/malloc_conf.cpp)
    target_sources(${target} PRIVATE ${conf})
    set_source_files_properties(${conf} PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
    target_compile_definitions(${target} PRIVATE ATTNLAB_WITH_JEMALLOC=1)
    target_link_libraries(${target} PRIVATE "-Wl,--push-state,--no-as-needed" ${ATTNLAB_JEMALLOC_LIBRARY} "-Wl,--pop-state")
  endif()
endfunction()
