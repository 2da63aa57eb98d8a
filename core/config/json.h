// The config tree as JSON, for programs outside attnlab (e.g. the config inside a TorchScript
// export). Unquoted scalars become numbers, booleans or null where YAML would read them so.
#pragma once

#include <nlohmann/json.hpp>

#include "core/config/node.h"

namespace attnlab {

nlohmann::json to_json(const NodePtr& node);

}  // namespace attnlab
