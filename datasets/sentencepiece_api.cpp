#include "datasets/sentencepiece_api.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <stdexcept>

namespace attnlab {

namespace {

// Where the plugin is: $ATTNLAB_SENTENCEPIECE_PLUGIN, else where the build put it, else next
// to the running executable.
std::vector<std::string> candidates() {
  std::vector<std::string> out;
  if (const char* env = std::getenv("ATTNLAB_SENTENCEPIECE_PLUGIN")) out.push_back(env);
  out.push_back(ATTNLAB_SENTENCEPIECE_PLUGIN_PATH);
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) out.push_back((exe.parent_path() / "libattnlab_sentencepiece.so").string());
  return out;
}

const SentencePieceApi* open_plugin() {
  std::string tried, last_error;
  for (const auto& path : candidates()) {
    tried += (tried.empty() ? "" : ", ") + path;
    if (!std::filesystem::exists(path)) continue;
    // RTLD_DEEPBIND: SentencePiece resolves its protobuf symbols in its own library first;
    // RTLD_LOCAL: none of them enter the global scope that LibTorch's libprotobuf uses.
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (!handle) {
      last_error = dlerror();
      continue;
    }
    using Entry = const SentencePieceApi* (*)();
    if (auto entry = reinterpret_cast<Entry>(dlsym(handle, "attnlab_sentencepiece_api"))) return entry();
    last_error = path + " has no attnlab_sentencepiece_api";
  }
  throw std::runtime_error("cannot load the SentencePiece plugin (looked for " + tried + ")" +
                           (last_error.empty() ? "; rebuild with scripts/build.sh" : ": " + last_error));
}

}  // namespace

const SentencePieceApi& sentencepiece_api() {
  static const SentencePieceApi* api = open_plugin();
  return *api;
}

}  // namespace attnlab
