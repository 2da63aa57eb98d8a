#include "core/config/json.h"

#include <cstdlib>
#include <regex>

namespace attnlab {

namespace {

nlohmann::json scalar_json(const ConfigNode& n) {
  const std::string& s = n.scalar;
  if (n.quoted) return s;
  if (s == "true" || s == "True") return true;
  if (s == "false" || s == "False") return false;
  if (s == "null" || s == "~" || s.empty()) return nullptr;
  static const std::regex integer(R"([-+]?[0-9]+)");
  static const std::regex real(R"([-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?)");
  if (std::regex_match(s, integer)) return std::strtoll(s.c_str(), nullptr, 10);
  if (std::regex_match(s, real)) return std::strtod(s.c_str(), nullptr);
  return s;
}

}  // namespace

nlohmann::json to_json(const NodePtr& node) {
  if (!node) return nullptr;
  switch (node->kind) {
    case ConfigNode::Kind::Null:
      return nullptr;
    case ConfigNode::Kind::Scalar:
      return scalar_json(*node);
    case ConfigNode::Kind::List: {
      auto list = nlohmann::json::array();
      for (const auto& item : node->items) list.push_back(to_json(item));
      return list;
    }
    case ConfigNode::Kind::Map: {
      auto map = nlohmann::json::object();
      for (const auto& e : node->entries) map[e.key] = to_json(e.value);
      return map;
    }
  }
  return nullptr;
}

}  // namespace attnlab
