#include "core/config/node.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace attnlab {

std::string SourceLocation::str() const {
  return line > 0 ? file + ":" + std::to_string(line) : file;
}

NodePtr ConfigNode::make_map(SourceLocation loc) {
  auto n = std::make_shared<ConfigNode>();
  n->kind = Kind::Map;
  n->loc = std::move(loc);
  return n;
}

NodePtr ConfigNode::make_scalar(std::string value, SourceLocation loc) {
  auto n = std::make_shared<ConfigNode>();
  n->kind = Kind::Scalar;
  n->scalar = std::move(value);
  n->loc = std::move(loc);
  return n;
}

const ConfigNode::Entry* ConfigNode::find(const std::string& key) const {
  for (const auto& e : entries)
    if (e.key == key) return &e;
  return nullptr;
}

ConfigNode::Entry* ConfigNode::find(const std::string& key) {
  for (auto& e : entries)
    if (e.key == key) return &e;
  return nullptr;
}

void ConfigNode::set(const std::string& key, NodePtr value, SourceLocation key_loc) {
  if (auto* e = find(key)) {
    e->value = std::move(value);
    if (!key_loc.file.empty()) e->key_loc = std::move(key_loc);
    return;
  }
  entries.push_back({key, std::move(key_loc), std::move(value)});
}

void ConfigNode::erase(const std::string& key) {
  for (auto it = entries.begin(); it != entries.end(); ++it)
    if (it->key == key) {
      entries.erase(it);
      return;
    }
}

NodePtr ConfigNode::clone() const {
  auto n = std::make_shared<ConfigNode>(*this);
  for (auto& item : n->items) item = item->clone();
  for (auto& e : n->entries) e.value = e.value->clone();
  return n;
}

namespace {

// Builds ConfigNodes from yaml-cpp's event stream. yaml-cpp's own Node silently
// keeps one of two duplicate keys; here a duplicate is an error.
class TreeBuilder : public YAML::EventHandler {
 public:
  explicit TreeBuilder(std::string origin) : origin_(std::move(origin)) {}
  NodePtr root() const { return root_; }

  void OnDocumentStart(const YAML::Mark& mark) override { start_ = mark; }
  const YAML::Mark& document_start() const { return start_; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto n = std::make_shared<ConfigNode>();
    n->loc = loc(mark);
    add(n, anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end())
      throw ConfigError(loc(mark).str() + ": unknown YAML alias");
    add(it->second->clone(), 0);
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    auto n = ConfigNode::make_scalar(value, loc(mark));
    n->quoted = (tag == "!");
    add(n, anchor);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    auto n = std::make_shared<ConfigNode>();
    n->kind = ConfigNode::Kind::List;
    n->loc = loc(mark);
    add(n, anchor);
    stack_.push_back({n, {}, false});
  }
  void OnSequenceEnd() override { stack_.pop_back(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    auto n = ConfigNode::make_map(loc(mark));
    add(n, anchor);
    stack_.push_back({n, {}, false});
  }
  void OnMapEnd() override { stack_.pop_back(); }

 private:
  struct Frame {
    NodePtr node;
    NodePtr pending_key;  // maps alternate key, value
    bool has_key;
  };

  SourceLocation loc(const YAML::Mark& m) const { return {origin_, m.line + 1}; }

  void add(const NodePtr& n, YAML::anchor_t anchor) {
    if (anchor) anchors_[anchor] = n;
    if (stack_.empty()) {
      root_ = n;
      return;
    }
    Frame& f = stack_.back();
    if (f.node->kind == ConfigNode::Kind::List) {
      f.node->items.push_back(n);
    } else if (!f.has_key) {
      if (n->kind != ConfigNode::Kind::Scalar)
        throw ConfigError(n->loc.str() + ": map keys must be plain scalars");
      f.pending_key = n;
      f.has_key = true;
    } else {
      const std::string& key = f.pending_key->scalar;
      if (const auto* prev = f.node->find(key))
        throw ConfigError(f.pending_key->loc.str() + ": duplicate key '" + key +
                          "' (first defined at line " + std::to_string(prev->key_loc.line) + ")");
      f.node->entries.push_back({key, f.pending_key->loc, n});
      f.has_key = false;
    }
  }

  std::string origin_;
  YAML::Mark start_;
  NodePtr root_;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, NodePtr> anchors_;
};

}  // namespace

NodePtr parse_yaml(const std::string& text, const std::string& origin) {
  std::istringstream in(text);
  TreeBuilder builder(origin);
  try {
    YAML::Parser parser(in);
    parser.HandleNextDocument(builder);
    // A second document ("---" then more keys) would be silently ignored: refuse it.
    TreeBuilder second(origin);
    if (parser.HandleNextDocument(second) && second.root() && second.root()->kind != ConfigNode::Kind::Null)
      throw ConfigError(origin + ":" + std::to_string(second.document_start().line + 1) +
                        ": a second YAML document ('---'); a config is one document: merge it into the first, or "
                        "put it in its own file");
  } catch (const YAML::Exception& e) {
    throw ConfigError(origin + ":" + std::to_string(e.mark.line + 1) + ": YAML syntax error: " + e.msg);
  }
  NodePtr root = builder.root();
  if (!root || root->kind == ConfigNode::Kind::Null) return ConfigNode::make_map({origin, 1});
  return root;
}

NodePtr parse_yaml_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw ConfigError("'" + path + "' is a directory; name a YAML config file (e.g. configs/gpt/kjv_char.yaml)");
  std::ifstream f(path);
  if (!f) throw ConfigError("cannot open config file '" + path + "'");
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_yaml(ss.str(), path);
}

NodePtr merge(const NodePtr& base, const NodePtr& over) {
  // A section left empty (`experiment:` alone) changes nothing of the base's.
  if (base && base->is_map() && over->kind == ConfigNode::Kind::Null) return base->clone();
  if (!base || !base->is_map() || !over->is_map()) return over->clone();
  NodePtr out = base->clone();
  for (const auto& e : over->entries) {
    auto* existing = out->find(e.key);
    NodePtr value = existing ? merge(existing->value, e.value) : e.value->clone();
    out->set(e.key, value, e.key_loc);
  }
  return out;
}

namespace {

void emit(YAML::Emitter& out, const NodePtr& n) {
  switch (n->kind) {
    case ConfigNode::Kind::Null:
      out << YAML::Null;
      break;
    case ConfigNode::Kind::Scalar:
      if (n->quoted) out << YAML::DoubleQuoted;
      out << n->scalar;
      break;
    case ConfigNode::Kind::List:
      out << YAML::Flow << YAML::BeginSeq;
      for (const auto& item : n->items) emit(out, item);
      out << YAML::EndSeq;
      break;
    case ConfigNode::Kind::Map:
      out << YAML::BeginMap;
      for (const auto& e : n->entries) {
        out << YAML::Key << e.key << YAML::Value;
        emit(out, e.value);
      }
      out << YAML::EndMap;
      break;
  }
}

}  // namespace

std::string to_yaml(const NodePtr& node) {
  YAML::Emitter out;
  emit(out, node);
  return std::string(out.c_str()) + "\n";
}

}  // namespace attnlab
