#include "core/util/allocator.h"

#include <dlfcn.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace attnlab {

namespace {
// jemalloc's control interface, found at run time so the build needs no jemalloc header and a
// preloaded jemalloc is seen too: int mallctl(name, oldp, oldlenp, newp, newlen).
using MallCtl = int (*)(const char*, void*, size_t*, void*, size_t);
// Null unless the malloc in use is jemalloc's: `mallctl` and `malloc` from the same object (a
// jemalloc build under another preloaded allocator must not read jemalloc's idle statistics).
MallCtl jemalloc_mallctl() {
  static const MallCtl ctl = []() -> MallCtl {
    void* control = dlsym(RTLD_DEFAULT, "mallctl");
    void* allocate = dlsym(RTLD_DEFAULT, "malloc");
    Dl_info from_control{}, from_allocate{};
    if (control == nullptr || allocate == nullptr || dladdr(control, &from_control) == 0 ||
        dladdr(allocate, &from_allocate) == 0 || from_control.dli_fbase != from_allocate.dli_fbase)
      return nullptr;
    return reinterpret_cast<MallCtl>(control);
  }();
  return ctl;
}

// A size_t statistic of jemalloc's, or -1.
double jemalloc_stat_mib(const char* name) {
  size_t value = 0, length = sizeof(value);
  if (jemalloc_mallctl()(name, &value, &length, nullptr, 0) != 0) return -1;
  return static_cast<double>(value) / (1024.0 * 1024.0);
}
}  // namespace

std::string malloc_name() {
  if (jemalloc_mallctl() != nullptr) return "jemalloc";
#if defined(__GLIBC__)
  return "glibc";
#else
  return "libc";
#endif
}

void tune_malloc_for_tensors() {
#if defined(__GLIBC__)
  if (jemalloc_mallctl() != nullptr) return;  // glibc's malloc is not the one in use
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
#endif
}

namespace {
constexpr const char* kCapacityVariable = "ONEDNN_PRIMITIVE_CACHE_CAPACITY";
}  // namespace

void limit_onednn_primitive_cache(int capacity) {
  if (std::getenv(kCapacityVariable) != nullptr) return;  // the user's choice
  // Read by oneDNN when the cache is first used (a statically linked oneDNN).
  setenv(kCapacityVariable, std::to_string(capacity).c_str(), /*overwrite=*/0);
  // dnnl_status_t dnnl_set_primitive_cache_capacity(int): for a cache already in use.
  using SetCapacity = int (*)(int);
  if (auto set = reinterpret_cast<SetCapacity>(dlsym(RTLD_DEFAULT, "dnnl_set_primitive_cache_capacity"))) set(capacity);
}

int onednn_primitive_cache_capacity() {
  using GetCapacity = int (*)(int*);  // dnnl_status_t dnnl_get_primitive_cache_capacity(int*)
  auto get = reinterpret_cast<GetCapacity>(dlsym(RTLD_DEFAULT, "dnnl_get_primitive_cache_capacity"));
  int capacity = -1;
  if (!get || get(&capacity) != 0) return -1;
  return capacity;
}

std::string tunables_with_huge_pages(const char* current) {
  const std::string setting = "glibc.malloc.hugetlb";
  if (current == nullptr || *current == '\0') return setting + "=1";
  if (std::string(current).find(setting) != std::string::npos) return "";
  return std::string(current) + ":" + setting + "=1";
}

void reexec_with_huge_pages(char** argv) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35))
  if (const char* off = std::getenv("ATTNLAB_HUGE_PAGES"); off != nullptr && std::string(off) == "0") return;
  const char* before = std::getenv("GLIBC_TUNABLES");
  const std::string previous = before ? before : "";
  const std::string tunables = tunables_with_huge_pages(before);
  if (tunables.empty()) return;  // set already: this is the re-executed process, or the user's choice
  if (jemalloc_mallctl() != nullptr) return;  // the setting is glibc malloc's: nothing to gain
  std::ifstream mode("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string modes;
  std::getline(mode, modes);
  if (modes.find("[madvise]") == std::string::npos) return;  // "always" needs no advice, "never" refuses it
  setenv("GLIBC_TUNABLES", tunables.c_str(), /*overwrite=*/1);
  execv("/proc/self/exe", argv);
  // Only on failure: go on as we are, with the environment as it was.
  if (before) setenv("GLIBC_TUNABLES", previous.c_str(), 1);
  else unsetenv("GLIBC_TUNABLES");
#else
  (void)argv;
#endif
}

double current_rss_mib() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  if (!(statm >> pages >> resident)) return 0;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

double peak_rss_mib() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux: KiB
}

HeapUsage heap_usage() {
  HeapUsage usage;
  if (MallCtl ctl = jemalloc_mallctl()) {
    uint64_t epoch = 1;  // jemalloc's statistics are a snapshot, refreshed by writing "epoch"
    size_t length = sizeof(epoch);
    ctl("epoch", &epoch, &length, &epoch, sizeof(epoch));
    const double resident = jemalloc_stat_mib("stats.resident"), allocated = jemalloc_stat_mib("stats.allocated");
    if (resident >= 0 && allocated >= 0) usage.heap_mib = resident, usage.free_mib = std::max(0.0, resident - allocated);
    return usage;
  }
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  const struct mallinfo2 info = mallinfo2();  // every arena, not only the main one
  usage.heap_mib = static_cast<double>(info.arena) / (1024.0 * 1024.0);
  usage.free_mib = static_cast<double>(info.fordblks) / (1024.0 * 1024.0);
#endif
  return usage;
}

}  // namespace attnlab
