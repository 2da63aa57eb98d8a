#include "trainers/sweep.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "core/config/section.h"
#include "core/util/files.h"

namespace attnlab {

namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const SourceLocation& loc, const std::string& message) {
  throw ConfigError(fmt::format("{}: {}", loc.str(), message));
}

const std::string& scalar(const ConfigNode::Entry& e, const std::string& what) {
  if (e.value->kind != ConfigNode::Kind::Scalar) fail(e.key_loc, fmt::format("{} '{}' must be a single value", what, e.key));
  return e.value->scalar;
}

int64_t integer(const ConfigNode& n, const std::string& what) {
  try {
    size_t used = 0;
    const int64_t v = std::stoll(n.scalar, &used);
    if (used == n.scalar.size()) return v;
  } catch (const std::exception&) {
  }
  fail(n.loc, fmt::format("{} must be an integer, got '{}'", what, n.scalar));
}

double positive_number(const ConfigNode::Entry& e, const std::string& what) {
  const std::string& text = scalar(e, what);
  try {
    size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size() && std::isfinite(v) && v > 0) return v;
  } catch (const std::exception&) {
  }
  fail(e.value->loc, fmt::format("{} must be a positive number, got '{}'", what, text));
}

// The keys a sweep sets in every run itself: the run's place and seed always, the budget's
// keys when a budget is given. A variant, grid or override that set one would be silently
// replaced (or would relabel runs), so it is refused.
std::string owner_of(const std::string& key, const Sweep& s) {
  if (key == "experiment.name" || key == "experiment.out_dir") return "the sweep (runs go to out_dir/<variant>/seed<k>)";
  if (key == "experiment.seed") return "the sweep's `seeds:` list";
  if (key == "trainer.max_iters" && s.steps > 0) return "the sweep's `budget: {steps}`";
  if (key == "trainer.max_minutes" && s.minutes > 0) return "the sweep's `budget: {minutes}`";
  if (key == "trainer.max_flops" && s.flops > 0) return "the sweep's `budget: {flops}`";
  return "";
}

void check_not_owned(const std::string& key, const SourceLocation& loc, const Sweep& s) {
  const std::string owner = owner_of(key, s);
  if (!owner.empty()) fail(loc, fmt::format("'{}' is set by {}; it cannot be set here", key, owner));
}

// "section.key: value" entries of a map -> "section.key=value" overrides.
std::vector<std::string> read_overrides(const ConfigNode& map, const std::string& where, const Sweep& s) {
  if (map.kind == ConfigNode::Kind::Null) return {};
  if (!map.is_map()) fail(map.loc, where + " must be a map of section.key: value");
  std::vector<std::string> out;
  for (const auto& e : map.entries) {
    if (e.key.find('.') == std::string::npos)
      fail(e.key_loc, fmt::format("'{}' in {} must name section.key (e.g. model.n_layer)", e.key, where));
    check_not_owned(e.key, e.key_loc, s);
    out.push_back(e.key + "=" + scalar(e, "override"));
  }
  return out;
}

// The last part of a dotted key: "model.n_layer" -> "n_layer".
std::string short_key(const std::string& key) { return key.substr(key.rfind('.') + 1); }

}  // namespace

const std::vector<std::string>& sweep_file_keys() {
  static const std::vector<std::string> keys = {"base",      "out_dir",  "seeds", "budget",
                                                "overrides", "variants", "grid",  "metric"};
  return keys;
}

Sweep Sweep::read(const std::string& path) {
  const NodePtr root = parse_yaml_file(path);
  if (!root->is_map()) fail(root->loc, "a sweep file is a map with base, seeds, variants and/or grid");
  Sweep s;
  s.path = path;
  for (const auto& e : root->entries) {
    const auto& keys = sweep_file_keys();
    if (std::find(keys.begin(), keys.end(), e.key) == keys.end()) {
      const std::string near = nearest(e.key, keys);
      fail(e.key_loc, fmt::format("unknown sweep key '{}'{}", e.key,
                                  near.empty() ? fmt::format("; valid keys: {}", fmt::join(keys, ", "))
                                               : fmt::format("; did you mean '{}'?", near)));
    }
  }
  const auto* base = root->find("base");
  if (!base) fail(root->loc, "a sweep needs `base:` (the experiment file it varies)");
  s.base = (fs::path(path).parent_path() / scalar(*base, "base")).lexically_normal().string();
  if (!fs::exists(s.base)) fail(base->key_loc, fmt::format("base experiment {} does not exist", s.base));
  s.out_dir = "runs/sweeps/" + fs::path(path).stem().string();
  if (const auto* e = root->find("out_dir")) s.out_dir = scalar(*e, "out_dir");
  if (const auto* e = root->find("metric")) s.metric = scalar(*e, "metric");

  if (const auto* e = root->find("seeds")) {
    if (e->value->kind != ConfigNode::Kind::List || e->value->items.empty())
      fail(e->key_loc, "seeds must be a non-empty list, e.g. [1337, 1338, 1339]");
    s.seeds.clear();
    std::set<int64_t> seen;
    for (const auto& item : e->value->items) {
      const int64_t seed = integer(*item, "a seed");
      if (!Range::closed(0, kMaxSeed).contains(seed))
        fail(item->loc, fmt::format("a seed must be {}, got {}", Range::closed(0, kMaxSeed).describe(), seed));
      if (!seen.insert(seed).second) fail(item->loc, fmt::format("seed {} is listed twice", seed));
      s.seeds.push_back(seed);
    }
  }
  if (const auto* e = root->find("budget")) {
    if (!e->value->is_map()) fail(e->key_loc, "budget must be a map: {steps: N}, {minutes: M} or {flops: F}");
    for (const auto& b : e->value->entries) {
      if (b.key == "steps") {
        s.steps = integer(*b.value, "budget.steps");
        if (s.steps < 1) fail(b.value->loc, fmt::format("budget.steps must be at least 1, got {}", s.steps));
      } else if (b.key == "minutes") {
        s.minutes = positive_number(b, "budget.minutes");
      } else if (b.key == "flops") {
        s.flops = positive_number(b, "budget.flops");
      } else {
        fail(b.key_loc, fmt::format("unknown budget key '{}'; use steps, minutes or flops", b.key));
      }
    }
  }
  if (const auto* e = root->find("overrides")) s.overrides = read_overrides(*e->value, "overrides", s);

  // Named variants, then the grid's product; with both, every variant at every grid point.
  std::vector<SweepVariant> named;
  if (const auto* e = root->find("variants")) {
    if (!e->value->is_map() || e->value->entries.empty()) fail(e->key_loc, "variants must be a map of name: {overrides}");
    for (const auto& v : e->value->entries) {
      if (!is_safe_name(v.key)) fail(v.key_loc, fmt::format("variant name '{}' {}", v.key, kSafeNameRule));
      named.push_back({v.key, read_overrides(*v.value, "variant '" + v.key + "'", s), v.key_loc});
    }
  }
  std::vector<SweepVariant> grid = {{"", {}, {}}};
  if (const auto* e = root->find("grid")) {
    if (!e->value->is_map() || e->value->entries.empty()) fail(e->key_loc, "grid must be a map of section.key: [values]");
    for (const auto& g : e->value->entries) {
      if (g.key.find('.') == std::string::npos) fail(g.key_loc, fmt::format("grid key '{}' must name section.key", g.key));
      check_not_owned(g.key, g.key_loc, s);
      if (g.value->kind != ConfigNode::Kind::List || g.value->items.empty())
        fail(g.key_loc, fmt::format("grid key '{}' needs a non-empty list of values", g.key));
      std::vector<SweepVariant> next;
      for (const auto& point : grid)
        for (const auto& item : g.value->items) {
          if (item->kind != ConfigNode::Kind::Scalar) fail(item->loc, "grid values must be single values");
          if (!is_safe_name(item->scalar))  // it becomes part of the variant's directory name
            fail(item->loc, fmt::format("grid value '{}' names a run directory and {}", item->scalar, kSafeNameRule));
          SweepVariant v = point;
          v.name += (v.name.empty() ? "" : "+") + short_key(g.key) + "=" + item->scalar;
          v.overrides.push_back(g.key + "=" + item->scalar);
          v.loc = g.key_loc;
          next.push_back(v);
        }
      grid = next;
    }
  }
  if (named.empty()) named.push_back({grid.front().name.empty() ? "base" : "", {}, root->loc});
  for (const auto& n : named)
    for (const auto& g : grid) {
      SweepVariant v{n.name.empty() ? g.name : g.name.empty() ? n.name : n.name + "+" + g.name, n.overrides, n.loc};
      v.overrides.insert(v.overrides.end(), g.overrides.begin(), g.overrides.end());
      if (!g.name.empty() && !n.overrides.empty()) v.loc = n.loc;
      else if (!g.name.empty()) v.loc = g.loc;
      for (const auto& seen : s.variants)
        if (seen.name == v.name) fail(v.loc, fmt::format("two variants are named '{}'", v.name));
      s.variants.push_back(v);
    }
  return s;
}

namespace {
void flatten(const ConfigNode& n, const std::string& prefix, std::map<std::string, std::string>& out) {
  if (n.is_map()) {
    for (const auto& e : n.entries) flatten(*e.value, prefix.empty() ? e.key : prefix + "." + e.key, out);
  } else if (n.kind == ConfigNode::Kind::List) {
    std::string text = "[";
    for (const auto& item : n.items) {
      std::map<std::string, std::string> one;
      flatten(*item, "", one);
      std::string value;
      for (const auto& [k, v] : one) value += (value.empty() ? "" : ", ") + (k.empty() ? v : k + ": " + v);
      text += (text.size() > 1 ? ", " : "") + value;
    }
    out[prefix] = text + "]";
  } else {
    out[prefix] = n.kind == ConfigNode::Kind::Null ? "null" : n.scalar;
  }
}
}  // namespace

std::map<std::string, std::string> flatten_config(const std::string& yaml) {
  std::map<std::string, std::string> out;
  flatten(*parse_yaml(yaml, "a resolved config"), "", out);
  return out;
}

std::vector<std::string> config_differences(const std::string& old_yaml, const std::string& new_yaml,
                                            const std::set<std::string>& ignore) {
  const auto a = flatten_config(old_yaml), b = flatten_config(new_yaml);
  std::set<std::string> keys;
  for (const auto& kv : a) keys.insert(kv.first);
  for (const auto& kv : b) keys.insert(kv.first);
  std::vector<std::string> out;
  for (const auto& k : keys) {
    if (ignore.count(k)) continue;
    const auto x = a.find(k), y = b.find(k);
    const std::string old_v = x == a.end() ? "(unset)" : x->second, new_v = y == b.end() ? "(unset)" : y->second;
    if (old_v != new_v) out.push_back(fmt::format("{}: {} -> {}", k, old_v, new_v));
  }
  return out;
}

std::vector<SweepRun> Sweep::runs() const {
  std::vector<SweepRun> out;
  for (const auto& v : variants)
    for (int64_t seed : seeds) {
      SweepRun r{v.name, seed, (fs::path(out_dir) / v.name / fmt::format("seed{}", seed)).string(), overrides};
      r.overrides.insert(r.overrides.end(), v.overrides.begin(), v.overrides.end());
      r.overrides.push_back("experiment.out_dir=" + (fs::path(out_dir) / v.name).string());
      r.overrides.push_back(fmt::format("experiment.name=seed{}", seed));
      r.overrides.push_back(fmt::format("experiment.seed={}", seed));
      if (steps > 0) r.overrides.push_back(fmt::format("trainer.max_iters={}", steps));
      if (minutes > 0) r.overrides.push_back(fmt::format("trainer.max_minutes={}", minutes));
      if (flops > 0) r.overrides.push_back(fmt::format("trainer.max_flops={}", flops));
      out.push_back(r);
    }
  return out;
}

}  // namespace attnlab
