#include "datasets/text_documents.h"

#include <fmt/format.h>
#include <glob.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <stdexcept>

#include "core/util/files.h"
#include "datasets/corpora.h"
#include "datasets/text_lines.h"
#include "datasets/utf8.h"

namespace attnlab {

namespace fs = std::filesystem;

namespace {


// The .txt files below `dir`, sorted; counts what else was there. Hidden folders are not
// entered (a .git holds no documents); symbolic links to folders are followed.
std::vector<std::string> folder_files(const std::string& dir, int64_t* other, int64_t* hidden_files) {
  std::vector<std::string> files;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::follow_directory_symlink);
       it != fs::recursive_directory_iterator(); ++it) {
    if (is_hidden_name(it->path().filename().string())) {
      if (it->is_directory()) it.disable_recursion_pending();
      ++*hidden_files;
    } else if (!it->is_regular_file()) {
      continue;
    } else if (lower_extension(it->path().string()) == "txt") {
      files.push_back(it->path().string());
    } else {
      ++*other;
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::string> glob_paths(const std::string& pattern) {
  glob_t g{};
  const int status = ::glob(pattern.c_str(), 0, nullptr, &g);
  std::vector<std::string> paths;
  if (status == 0)
    for (size_t i = 0; i < g.gl_pathc; ++i) paths.emplace_back(g.gl_pathv[i]);
  globfree(&g);
  if (status == GLOB_NOMATCH || (status == 0 && paths.empty()))
    throw std::runtime_error(fmt::format("data.path '{}' matches no file", pattern));
  if (status != 0) throw std::runtime_error(fmt::format("data.path '{}': cannot read the folders it names", pattern));
  return paths;  // glob(3) sorts them
}

std::string plural(int64_t n, const std::string& word) { return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s"); }

}  // namespace

std::string read_text_file(const std::string& path) {
  if (!fs::exists(path)) {
    std::string hint = prepare_hint(path);
    throw std::runtime_error("data file '" + path + "' not found" +
                             (hint.empty() ? " (check data.path)" : "; run `" + hint + "` to create it"));
  }
  std::string text = checked_text(read_file(path), path);
  if (is_blank(text)) throw std::runtime_error(path + " has no text (it is empty or whitespace only)");
  return text;
}

TextDocuments read_text_documents(const std::string& path) {
  const bool is_glob = path.find_first_of("*?[") != std::string::npos && !fs::exists(path);
  std::vector<std::string> files;
  int64_t other = 0, hidden_files = 0;
  if (is_glob) {
    for (const auto& p : glob_paths(path)) {
      if (fs::is_directory(p)) {
        const auto inside = folder_files(p, &other, &hidden_files);
        files.insert(files.end(), inside.begin(), inside.end());
      } else {
        files.push_back(p);
      }
    }
  } else if (fs::is_directory(path)) {
    files = folder_files(path, &other, &hidden_files);
    if (files.empty())
      throw std::runtime_error(fmt::format("data.path {} is a folder without .txt files ({})",
                                           path, plural(other, "other file")));
  } else {
    files = {path};  // read_text_file says what is wrong with it
  }
  if (is_glob && files.empty())
    throw std::runtime_error(fmt::format("data.path '{}' matches only folders without .txt files ({})", path,
                                         plural(other, "other file")));

  TextDocuments out;
  std::vector<std::string> blank;
  for (const auto& file : files) {
    if (files.size() == 1) {  // one file: it must have text
      out.documents.push_back({file, read_text_file(file)});
      continue;
    }
    std::string text = checked_text(read_file(file), file);
    if (is_blank(text)) {
      blank.push_back(file);
      continue;
    }
    out.documents.push_back({file, std::move(text)});
  }
  if (out.documents.empty())
    throw std::runtime_error(fmt::format("data.path {}: every file it names is blank ({})", path, fmt::join(blank, ", ")));
  if (!blank.empty())
    out.notes.push_back(fmt::format("left out {} without text: {}{}", plural(static_cast<int64_t>(blank.size()), "file"),
                                    fmt::join(blank.begin(), blank.begin() + std::min<size_t>(blank.size(), 5), ", "),
                                    blank.size() > 5 ? fmt::format(" and {} more", blank.size() - 5) : ""));
  if (other > 0) out.notes.push_back(fmt::format("left out {} not named .txt", plural(other, "file")));
  if (hidden_files > 0)
    out.notes.push_back(fmt::format("left out {} (a name starting with '.')", plural(hidden_files, "hidden file or folder")));
  return out;
}

TextSplit split_documents(const std::vector<TextDocument>& documents, double val_fraction) {
  if (documents.empty()) throw std::invalid_argument("split_documents: no documents");
  TextSplit s;
  if (documents.size() == 1) {
    const std::string& text = documents[0].text;
    const int64_t total = count_code_points(text);
    const auto n_train = static_cast<int64_t>(static_cast<double>(total) * (1.0 - val_fraction));
    size_t cut = 0;  // the byte where character n_train starts
    for (int64_t seen = 0; cut < text.size(); ++cut)
      if (!is_utf8_continuation(static_cast<unsigned char>(text[cut])) && seen++ == n_train) break;
    s.train = {text.substr(0, cut)};
    s.val = {text.substr(cut)};
    s.train_characters = n_train, s.val_characters = total - n_train;
    return s;
  }
  std::vector<int64_t> chars;
  int64_t total = 0;
  for (const auto& d : documents) total += chars.emplace_back(count_code_points(d.text));
  const double target = static_cast<double>(total) * (1.0 - val_fraction);
  size_t k = 1;  // documents [0, k) train
  double best = 1e300;
  int64_t before = 0;
  for (size_t i = 1; i < documents.size(); ++i) {
    before += chars[i - 1];
    if (std::abs(static_cast<double>(before) - target) < best) best = std::abs(static_cast<double>(before) - target), k = i;
  }
  for (size_t i = 0; i < documents.size(); ++i) {
    (i < k ? s.train : s.val).push_back(documents[i].text);
    (i < k ? s.train_characters : s.val_characters) += chars[i];
  }
  return s;
}

}  // namespace attnlab
