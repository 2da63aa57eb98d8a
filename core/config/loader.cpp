#include "core/config/loader.h"

#include <filesystem>

namespace attnlab {
namespace fs = std::filesystem;

namespace {

// `chain`: the files read so far, each with the path as written (for the messages) and its
// canonical form (to find a cycle).
using Chain = std::vector<std::pair<std::string, std::string>>;

NodePtr load_with_extends(const fs::path& path, Chain& chain) {
  std::string key = fs::weakly_canonical(path).string();
  for (size_t i = 0; i < chain.size(); ++i)
    if (chain[i].second == key) {
      std::string cycle;
      for (size_t j = i; j < chain.size(); ++j) cycle += chain[j].first + " -> ";
      throw ConfigError(chain.back().first + ": 'extends' makes a cycle: " + cycle + path.string());
    }
  chain.emplace_back(path.string(), key);

  NodePtr node = parse_yaml_file(path.string());
  if (!node->is_map()) throw ConfigError(node->loc.str() + ": an experiment file must be a YAML map");
  if (node->entries.empty())
    throw ConfigError(path.string() + ": the file is empty (or only comments); an experiment needs at least "
                      "`model:` with its `type:` (see configs/)");
  const auto* ext = node->find("extends");
  if (!ext) return node;
  const std::string& base_name = ext->value->scalar;
  if (ext->value->kind != ConfigNode::Kind::Scalar || base_name.empty())
    throw ConfigError(ext->key_loc.str() + ": 'extends' must name the YAML file this one builds on");
  fs::path base_path = path.parent_path() / base_name;
  if (!fs::exists(base_path))
    throw ConfigError(ext->key_loc.str() + ": extends '" + base_name + "', but " + base_path.string() +
                      " does not exist");
  if (fs::is_directory(base_path))
    throw ConfigError(ext->key_loc.str() + ": extends '" + base_name + "', which is a directory; name a YAML file");
  NodePtr base = load_with_extends(base_path, chain);
  node->erase("extends");
  return merge(base, node);
}

}  // namespace

void apply_override(const NodePtr& root, const std::string& assignment) {
  auto eq = assignment.find('=');
  SourceLocation where{"command-line override '" + assignment + "'", 0};
  if (eq == std::string::npos || eq == 0)
    throw ConfigError(where.str() + ": expected section.key=value");
  std::string path = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  NodePtr value = parse_yaml(text, where.file);
  if (value->is_map() && value->entries.empty() && text.empty())
    value = ConfigNode::make_scalar("", where);  // "key=" means an empty string
  else if (value->is_map() && value->entries.empty() && text.find('{') == std::string::npos)
    value = std::make_shared<ConfigNode>();  // "key=~", "key=null": YAML's null, not a map
  value->loc = where;

  NodePtr node = root;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (key.empty()) throw ConfigError(where.str() + ": empty key in '" + path + "'");
    if (dot == std::string::npos) {
      node->set(key, value, where);
      return;
    }
    auto* entry = node->find(key);
    if (!entry) {
      node->set(key, ConfigNode::make_map(where), where);
      entry = node->find(key);
    } else if (entry->value->kind == ConfigNode::Kind::Null) {
      entry->value = ConfigNode::make_map(entry->value->loc);  // `experiment:` left empty in the file
    } else if (!entry->value->is_map()) {
      throw ConfigError(where.str() + ": '" + path.substr(0, dot) + "' is not a section");
    }
    node = entry->value;
    start = dot + 1;
  }
}

NodePtr load_config(const std::string& path, const std::vector<std::string>& overrides) {
  Chain chain;
  NodePtr root = load_with_extends(path, chain);
  for (const auto& o : overrides) apply_override(root, o);
  return root;
}

}  // namespace attnlab
