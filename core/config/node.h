// A YAML tree that remembers where every value came from (file and line), so that
// config errors can point at the exact place. Parsed strictly: duplicate keys are errors.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace attnlab {

// Every problem with a config: the message already names file, line and key.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SourceLocation {
  std::string file;  // "configs/gpt/kjv_char.yaml", or "command line"
  int line = 0;      // 1-based; 0 when unknown
  std::string str() const;  // "file:line"
};

struct ConfigNode;
using NodePtr = std::shared_ptr<ConfigNode>;

struct ConfigNode {
  enum class Kind { Null, Scalar, List, Map };
  struct Entry {
    std::string key;
    SourceLocation key_loc;
    NodePtr value;
  };

  Kind kind = Kind::Null;
  SourceLocation loc;
  std::string scalar;          // Kind::Scalar
  bool quoted = false;         // "1" stays a string
  std::vector<NodePtr> items;  // Kind::List
  std::vector<Entry> entries;  // Kind::Map, in file order

  static NodePtr make_map(SourceLocation loc = {});
  static NodePtr make_scalar(std::string value, SourceLocation loc = {});

  bool is_map() const { return kind == Kind::Map; }
  const Entry* find(const std::string& key) const;
  Entry* find(const std::string& key);
  // Replaces the value of `key`, or appends a new entry.
  void set(const std::string& key, NodePtr value, SourceLocation key_loc = {});
  void erase(const std::string& key);
  NodePtr clone() const;
};

// Parses one YAML document. `origin` names the source in error messages.
NodePtr parse_yaml(const std::string& text, const std::string& origin);
NodePtr parse_yaml_file(const std::string& path);

// Deep merge: maps merge key by key, scalars and lists from `over` replace; an empty value
// over a map (a section left empty) keeps the map.
NodePtr merge(const NodePtr& base, const NodePtr& over);

// Block-style YAML text of a tree (used for the resolved config.yaml).
std::string to_yaml(const NodePtr& node);

}  // namespace attnlab
