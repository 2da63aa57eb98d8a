#include "core/util/memory.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace attnlab {

namespace {

// The value of "Key:   123 kB" in a /proc file, in bytes; -1 when absent.
int64_t proc_field(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(key + ":", 0) == 0) {
      std::istringstream fields(line.substr(key.size() + 1));
      int64_t kib = -1;
      fields >> kib;
      return kib < 0 ? -1 : kib * 1024;
    }
  return -1;
}

// The value of "key 123" in a cgroup's memory.stat, in bytes; 0 when absent.
int64_t stat_field(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  std::string name;
  int64_t value = 0;
  while (in >> name >> value)
    if (name == key) return value;
  return 0;
}

// A number of bytes in a cgroup file ("max" and absent files: -1).
int64_t cgroup_value(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text) || text == "max") return -1;
  try {
    return std::stoll(text);
  } catch (const std::exception&) {
    return -1;
  }
}

}  // namespace

int64_t available_memory_bytes() {
  std::vector<int64_t> limits;
  if (const int64_t free = proc_field("/proc/meminfo", "MemAvailable"); free >= 0) limits.push_back(free);
  // The cgroup's limit less its usage, where usage counts the page cache: its inactive part
  // is reclaimed before the limit bites (as docker and the kubelet count it).
  struct Cgroup {
    std::string limit, usage, stat, inactive;
  };
  for (const Cgroup& c : {Cgroup{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current",
                                 "/sys/fs/cgroup/memory.stat", "inactive_file"},
                          Cgroup{"/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                 "/sys/fs/cgroup/memory/memory.usage_in_bytes", "/sys/fs/cgroup/memory/memory.stat",
                                 "total_inactive_file"}}) {
    const int64_t limit = cgroup_value(c.limit), usage = cgroup_value(c.usage);
    // cgroup v1 reports "no limit" as a huge number
    if (limit >= 0 && limit < (int64_t{1} << 60) && usage >= 0)
      limits.push_back(std::max<int64_t>(0, limit - std::max<int64_t>(0, usage - stat_field(c.stat, c.inactive))));
  }
  rlimit as{};
  if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) {
    const int64_t mapped = proc_field("/proc/self/status", "VmSize");
    if (mapped >= 0) limits.push_back(std::max<int64_t>(0, static_cast<int64_t>(as.rlim_cur) - mapped));
  }
  return limits.empty() ? -1 : *std::min_element(limits.begin(), limits.end());
}

double MemoryNeed::bytes() const {
  double total = 0;
  for (const auto& p : parts) total += p.bytes;
  return total;
}

std::string format_bytes(double bytes) {
  if (bytes >= 1024.0 * 1024 * 1024 * 1024) return fmt::format("{:.1f} TiB", bytes / (1024.0 * 1024 * 1024 * 1024));
  if (bytes >= 1024.0 * 1024 * 1024) return fmt::format("{:.1f} GiB", bytes / (1024.0 * 1024 * 1024));
  return fmt::format("{:.0f} MiB", bytes / (1024.0 * 1024));
}

void require_memory(const MemoryNeed& need, const std::string& what, int64_t available) {
  if (available < 0 || need.bytes() <= static_cast<double>(available)) return;
  auto parts = need.parts;
  std::sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) { return a.bytes > b.bytes; });
  std::string lines;
  for (const auto& p : parts) lines += fmt::format("\n  {:>10}  {} ({})", format_bytes(p.bytes), p.what, p.keys);
  throw std::runtime_error(fmt::format("{} needs about {}, but this process can take {} (estimated before "
                                       "allocating anything):{}\nlower {}",
                                       what, format_bytes(need.bytes()), format_bytes(static_cast<double>(available)),
                                       lines, parts.front().keys));
}

}  // namespace attnlab
