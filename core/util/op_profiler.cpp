#include "core/util/op_profiler.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>

namespace attnlab {

namespace {

using Clock = std::chrono::steady_clock;

struct Frame : at::ObserverContext {
  Clock::time_point start = Clock::now();
  double child_ms = 0;  // time spent in the operators this one called
  Frame* parent = nullptr;
  const char* name = "";
};

thread_local Frame* t_top = nullptr;  // the innermost running operator of this thread
std::mutex g_mutex;
std::map<std::string, OpTime>* g_table = nullptr;
bool g_by_caller = false;

std::unique_ptr<at::ObserverContext> on_start(const at::RecordFunction& fn) {
  auto frame = std::make_unique<Frame>();
  frame->name = fn.name();
  frame->parent = t_top;
  t_top = frame.get();
  return frame;
}

void on_end(const at::RecordFunction& fn, at::ObserverContext* ctx) {
  auto* frame = static_cast<Frame*>(ctx);
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - frame->start).count();
  t_top = frame->parent;
  if (t_top) t_top->child_ms += ms;
  std::lock_guard<std::mutex> lock(g_mutex);
  if (!g_table) return;
  OpTime& row = (*g_table)[g_by_caller ? std::string(frame->parent ? frame->parent->name : "-") + " > " + fn.name()
                                       : std::string(fn.name())];
  row.calls += 1;
  row.self_ms += ms - frame->child_ms;
}

}  // namespace

OpProfiler::OpProfiler(bool by_caller) {
  std::lock_guard<std::mutex> lock(g_mutex);
  TORCH_CHECK(!g_table, "only one OpProfiler can run at a time");
  g_table = new std::map<std::string, OpTime>();
  g_by_caller = by_caller;
  handle_ = at::addGlobalCallback(at::RecordFunctionCallback(on_start, on_end)
                                      .scopes({at::RecordScope::FUNCTION, at::RecordScope::BACKWARD_FUNCTION}));
}

OpProfiler::~OpProfiler() {
  at::removeCallback(handle_);
  std::lock_guard<std::mutex> lock(g_mutex);
  delete g_table;
  g_table = nullptr;
}

std::vector<OpTime> OpProfiler::table() const {
  std::vector<OpTime> rows;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    for (const auto& [name, row] : *g_table) {
      rows.push_back(row);
      rows.back().name = name;
    }
  }
  std::sort(rows.begin(), rows.end(), [](const OpTime& a, const OpTime& b) { return a.self_ms > b.self_ms; });
  return rows;
}

}  // namespace attnlab
