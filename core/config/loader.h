// Loads an experiment file: follows `extends:` chains and applies `key=value` overrides.
#pragma once

#include <string>
#include <vector>

#include "core/config/node.h"

namespace attnlab {

// Reads `path`, merging every file it `extends` (paths relative to the extending file;
// maps merge deeply, scalars and lists replace), then applies `overrides` of the form
// "section.key=value" (value parsed as a YAML scalar).
NodePtr load_config(const std::string& path, const std::vector<std::string>& overrides = {});

// Applies one "a.b.c=value" override to `root` in place.
void apply_override(const NodePtr& root, const std::string& assignment);

}  // namespace attnlab
