// Typed, strict access to one section of a config tree. Every key read is recorded
// (with its default when absent) into the resolved config, and any key in the file that
// no code read is reported as unknown, with the nearest valid key as a suggestion.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config/node.h"

namespace attnlab {

class ConfigSection {
 public:
  // `given` is the user's tree (may be null: section absent); `resolved` receives what was read.
  ConfigSection(NodePtr given, NodePtr resolved, std::string path, SourceLocation loc);

  // Reads `key`, or records and returns `fallback` when it is absent.
  int64_t get(const std::string& key, int64_t fallback);
  int get(const std::string& key, int fallback) { return static_cast<int>(get(key, int64_t{fallback})); }
  double get(const std::string& key, double fallback);
  bool get(const std::string& key, bool fallback);
  std::string get(const std::string& key, const std::string& fallback);
  std::string get(const std::string& key, const char* fallback) { return get(key, std::string(fallback)); }
  // A string restricted to `allowed`; a wrong value suggests the nearest one.
  std::string choice(const std::string& key, const std::string& fallback,
                     const std::vector<std::string>& allowed);

  ConfigSection section(const std::string& key);
  bool has(const std::string& key) const;

  // Throws a ConfigError "file:line: path.key: message" pointing at `key`
  // (or at the section when the key is absent).
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;

  const std::string& path() const { return path_; }

 private:
  const ConfigNode* scalar_node(const std::string& key, const char* expected) const;
  std::string dotted(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  void record(const std::string& key, const std::string& value, bool quoted = false);

  NodePtr given_;
  NodePtr resolved_;
  std::string path_;
  SourceLocation loc_;
};

// The root of a config: sections are taken from it, and check_unknown_keys() runs once
// every reader has had its look.
class ConfigRoot {
 public:
  explicit ConfigRoot(NodePtr given);
  ConfigSection section(const std::string& key);
  // Throws for the first key of the file that no reader asked for.
  void check_unknown_keys() const;
  const NodePtr& resolved() const { return resolved_; }
  std::string resolved_yaml() const { return to_yaml(resolved_); }

 private:
  NodePtr given_;
  NodePtr resolved_;
};

// Reads `options.key` from the config key of the same name, its current value the default:
// one config key per option field, spelled once.
#define ATTNLAB_READ(section, options, key) ((options).key = (section).get(#key, (options).key))

// The candidate closest to `word` by edit distance, or "" if none is close.
std::string nearest(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace attnlab
