#include "models/registry.h"

#include <map>

namespace attnlab {

void register_builtin_models();  // models/zoo.cpp

namespace {
std::map<std::string, ModelConfigurer>& table() {
  static std::map<std::string, ModelConfigurer> t;
  return t;
}
std::map<std::string, ModelConfigurer>& registry() {
  static bool initialised = (register_builtin_models(), true);
  (void)initialised;
  return table();
}
}  // namespace

void register_model(const std::string& type, ModelConfigurer configurer) { table()[type] = std::move(configurer); }

std::vector<std::string> model_types() {
  std::vector<std::string> names;
  for (const auto& kv : registry()) names.push_back(kv.first);
  return names;
}

ModelSpec configure_model(ConfigSection section) {
  if (!section.has("type")) section.fail("type", "is required (one of the registered model types)");
  std::string type = section.choice("type", "", model_types());
  ModelSpec spec = registry().at(type)(section);
  spec.type = type;
  return spec;
}

}  // namespace attnlab
