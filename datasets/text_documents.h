// The documents of a text dataset (`data.path` of data.type text) and their split into
// training and validation text. LibTorch-free.
//
// data.path is one of (docs/data.md, "Your own data"):
//  - a file: one document;
//  - a folder: every `.txt` file below it (any depth; hidden files and folders skipped), in
//    sorted path order (byte order of the path below the folder), as nanoGPT's prepare.py
//    and Hugging Face's text loader read folders;
//  - a glob (`*`, `?`, `[...]`, POSIX glob(3) rules): the files it matches in sorted order, a
//    matching folder read as above.
// Each file is read by the text rules of datasets/text_lines.h (UTF-8, "\r\n" as "\n"); a
// blank file is left out and said. A path that matches nothing is an error naming it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace attnlab {

// Reads a UTF-8 data file by the text rules of datasets/text_lines.h ("\r\n" read as "\n");
// a missing one is an error that says which command creates it, invalid UTF-8 an error
// naming the file and the lines, a file without text an error.
std::string read_text_file(const std::string& path);

struct TextDocument {
  std::string path;
  std::string text;
};

struct TextDocuments {
  std::vector<TextDocument> documents;
  std::vector<std::string> notes;  // what was left out and why, for the data report
};

TextDocuments read_text_documents(const std::string& path);

// Training and validation text. One document: the last val_fraction of its characters (code
// points) are validation, cut mid-line if need be (nanoGPT's rule). Several: whole documents,
// the last ones, cut at the document boundary nearest to val_fraction of all characters and
// leaving at least one document on each side (no document is split).
struct TextSplit {
  std::vector<std::string> train, val;  // documents (pieces of one, with one document)
  int64_t train_characters = 0, val_characters = 0;
};

TextSplit split_documents(const std::vector<TextDocument>& documents, double val_fraction);

}  // namespace attnlab
