// Run files read back as JSON (sweep.json) or JSON lines (metrics.jsonl): a damaged file is an
// error that names the file and the line, not a bare parser exception.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

namespace attnlab {

// The whole file as one JSON value, handed to `read`; bad JSON, or a field `read` finds of the
// wrong type, throws naming the file (and the line of a syntax error).
void read_json_file(const std::string& path, const std::function<void(const nlohmann::json&)>& read);

// Calls `f` for each non-blank line's record, with its 1-based line number; bad JSON, or a
// record whose fields `f` finds of the wrong type, throws naming path:line.
void for_each_json_line(const std::string& path, const std::function<void(const nlohmann::json&, int64_t)>& f);

}  // namespace attnlab
