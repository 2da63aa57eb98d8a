// Small file helpers shared by checkpoints, data preparation and run directories.
#pragma once

#include <string>

namespace attnlab {

// Writes `bytes` to `path` through a temporary file of this writer's own (path.tmp.PID.N) and a
// rename: readers never see half a file, and concurrent writers never mix theirs.
void write_file_atomic(const std::string& path, const std::string& bytes);

// The whole file; throws std::runtime_error naming the path and the reason if it cannot be read.
std::string read_file(const std::string& path);

// A name that file browsers hide: ".git", ".DS_Store" (a leading '.'). Data readers skip them.
bool is_hidden_name(const std::string& name);

// The extension of the last component of `path`, lower-cased, without the dot ("" if none):
// "a/B.JPG" -> "jpg".
std::string lower_extension(const std::string& path);

// Whether `name` is one safe path component, so that a directory named by it stays inside its
// parent: non-empty, not "." or "..", only letters, digits and . _ - + = , @ (no '/', spaces
// or control bytes). Run names, sweep variants and grid values are checked with it.
bool is_safe_name(const std::string& name);
// The rule above, in words, for error messages.
inline constexpr const char* kSafeNameRule =
    "must be one directory name: letters, digits and . _ - + = , @ only, not '.' or '..'";

}  // namespace attnlab
