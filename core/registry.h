// A name -> entry table for the families a config selects by `type` (models, data,
// tokenizers). The built-in entries are registered on first use, so a lookup never
// depends on static-initialisation order.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace attnlab {

template <class Entry>
class Registry {
 public:
  // `what` names the kind in errors ("model type"); `builtins` registers the built-in entries.
  Registry(std::string what, void (*builtins)()) : what_(std::move(what)), builtins_(builtins) {}

  void add(const std::string& name, Entry entry) { table_[name] = std::move(entry); }

  const Entry& get(const std::string& name) {
    ensure();
    auto it = table_.find(name);
    if (it == table_.end()) {
      std::string known;
      for (const auto& n : names()) known += (known.empty() ? "" : ", ") + n;
      throw std::runtime_error("unknown " + what_ + " '" + name + "' (known: " + known + ")");
    }
    return it->second;
  }

  std::vector<std::string> names() {
    ensure();
    std::vector<std::string> out;
    for (const auto& kv : table_) out.push_back(kv.first);
    return out;
  }

 private:
  void ensure() {
    if (initialised_) return;
    initialised_ = true;
    builtins_();
  }
  std::string what_;
  void (*builtins_)();
  bool initialised_ = false;
  std::map<std::string, Entry> table_;
};

}  // namespace attnlab
