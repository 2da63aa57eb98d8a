// The few SentencePiece calls attnlab makes, behind a table of function pointers that a
// small plugin (sentencepiece_plugin.cpp, libattnlab_sentencepiece.so) fills in.
//
// Why a plugin: Debian's libsentencepiece carries its own protobuf 3.14 and exports its
// symbols, while LibTorch loads libprotobuf 3.21. Linked into one program, one library's
// protobuf calls land in the other's copy and the process crashes at start-up. The plugin is
// opened with RTLD_LOCAL | RTLD_DEEPBIND, so SentencePiece binds to its own protobuf and
// LibTorch never sees it.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace attnlab {

struct SentencePieceApi {
  // Trains a model on `texts` with trainer flags (name without "--" -> value; a map, not a
  // command line, so that a value may hold a newline); returns the serialized model.
  std::string (*train)(const std::unordered_map<std::string, std::string>& flags, const std::vector<std::string>& texts,
                       uint64_t seed);
  void* (*load)(const std::string& serialized_model);  // a processor; throws on a bad model
  void (*destroy)(void* processor);
  std::vector<int> (*encode)(void* processor, const std::string& text);
  std::string (*decode)(void* processor, const std::vector<int>& ids);
  int (*size)(void* processor);
  std::string (*piece)(void* processor, int id);
  bool (*is_byte)(void* processor, int id);  // a byte-fallback piece <0xNN>
};

// Opens the plugin once; throws with the path it looked for when it cannot.
const SentencePieceApi& sentencepiece_api();

}  // namespace attnlab

// The plugin's one exported symbol.
extern "C" const attnlab::SentencePieceApi* attnlab_sentencepiece_api();
