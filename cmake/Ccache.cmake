# Use ccache when it is installed. The sloppiness settings let it cache translation units
# that use the precompiled LibTorch header; the base directory makes paths relative, so a
# fresh clone elsewhere (CI) reuses what an earlier build cached.
find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER
      ${CMAKE_COMMAND} -E env
      "CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime"
      "CCACHE_BASEDIR=${PROJECT_SOURCE_DIR}"
      ${CCACHE_PROGRAM})
  message(STATUS "attnlab: using ccache (${CCACHE_PROGRAM})")
endif()
