# Common settings for every attnlab target: include root, warnings, shared PCH.
# -fPIC everywhere, executables included: their code then reaches libstdc++'s data (std::cerr,
# vtables) through the GOT instead of copying it into the executable, so the SentencePiece
# plugin, opened with RTLD_DEEPBIND, sees the same std::cerr as everyone else
# (datasets/sentencepiece_api.h).
function(attnlab_configure_target target)
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter -fPIC)
endfunction()

# A library that includes LibTorch: reuses the one precompiled <torch/torch.h>.
function(attnlab_torch_library target)
  add_library(${target} STATIC ${ARGN})
  attnlab_configure_target(${target})
  target_link_libraries(${target} PUBLIC ${TORCH_LIBRARIES})
  target_precompile_headers(${target} REUSE_FROM attnlab_pch)
endfunction()
