// One validation of text for every reader of lines: text files, verses, parallel text,
// `translate` input and `generate` prompts. The rules (docs/data.md, "Text rules"):
//  - UTF-8 only: invalid bytes are an error naming the file (or flag) and the lines, the first
//    five with a count of the rest;
//  - "\r\n" and a lone "\r" end a line as "\n" does, so that '\r' never reaches a vocabulary; a
//    leading byte-order mark is dropped;
//  - a blank line (empty or whitespace only) carries no example: the readers of examples drop
//    it and say how many, at which lines; a file or split with nothing usable is an error.
// LibTorch-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace attnlab {

// "line 3", "lines 3, 7 and 12", "lines 3, 7, 12, 15, 20 and 8 more"
std::string describe_lines(const std::vector<int64_t>& numbers);

// `text` (the contents of `origin`) with "\r\n" and "\r" read as "\n" and no byte-order mark;
// throws a runtime_error naming `origin` and the lines with invalid UTF-8.
std::string checked_text(std::string text, const std::string& origin);

// The lines of a text, without their "\n" (a final "\n" adds no empty line).
std::vector<std::string> split_lines(const std::string& text);

// Empty, or whitespace only (ASCII and Unicode spaces such as U+00A0 and U+3000).
bool is_blank(const std::string& line);

// "a, b ,c" -> {"a", "b", "c"}: the items of a `separator`-separated list, spaces trimmed;
// an empty item between separators is kept, nothing after the last one is ("" -> {}).
std::vector<std::string> split_list(const std::string& text, char separator = ',');

// Cuts text into lines of at most max_chars bytes at sentence ends (". ", "! ", "? "), a longer
// sentence at spaces; a single word longer than max_chars is a line of its own.
std::vector<std::string> split_sentences(const std::string& text, size_t max_chars);

}  // namespace attnlab
