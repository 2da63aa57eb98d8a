#include "models/registry.h"

#include "core/registry.h"

namespace attnlab {

void register_builtin_models();  // models/zoo.cpp

namespace {
Registry<ModelConfigurer>& models() {
  static Registry<ModelConfigurer> r("model type", register_builtin_models);
  return r;
}
}  // namespace

void register_model(const std::string& type, ModelConfigurer configurer) { models().add(type, std::move(configurer)); }

std::vector<std::string> model_types() { return models().names(); }

ModelSpec configure_model(ConfigSection section) {
  if (!section.has("type")) section.fail("type", "is required (one of the registered model types)");
  std::string type = section.choice("type", "", model_types());
  ModelSpec spec = models().get(type)(section);
  spec.type = type;
  return spec;
}

}  // namespace attnlab
