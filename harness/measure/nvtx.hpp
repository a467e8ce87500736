#pragma once
// NVTX ranges in one domain, "bridgebench", so nsys timelines show the phases (the same names
// as the results JSON, docs/results-schema.md) and configs. Names are registered once and then
// pushed by handle: a registered string costs no copy per push, which matters in timed loops.
// Header-only on NVTX3; without the CUDA toolkit headers every call compiles to nothing.
// Without a tool attached (nsys, ncu) NVTX calls are near-free no-ops either way.
#include <cstdint>
#include <string>

#if __has_include(<nvtx3/nvToolsExt.h>)
#include <nvtx3/nvToolsExt.h>

#include <mutex>
#include <unordered_map>
#define BB_HAVE_NVTX 1
#endif

#include "measure/phases.hpp"

namespace bb::nvtx {

// Stable ARGB color for a range name: a phase gets its colour from the phase table
// (measure/phases.hpp), so timelines read the same run after run; other names (configs) get a
// color from a hash of the name.
inline uint32_t color_for(const std::string& name) {
  for (int k = 0; k < kPhaseCount; ++k)
    if (name == phase_name(Phase(k))) return phase_info(Phase(k)).argb;
  uint32_t h = 2166136261u;  // FNV-1a: stable across runs and platforms, unlike std::hash
  for (unsigned char c : name) h = (h ^ c) * 16777619u;
  return 0xFF000000u | (h & 0x00FFFFFFu) | 0x00404040u;  // opaque, not too dark
}

#ifdef BB_HAVE_NVTX

namespace detail {

inline nvtxDomainHandle_t domain() {
  static nvtxDomainHandle_t d = nvtxDomainCreateA("bridgebench");
  return d;
}

struct Registered {
  nvtxStringHandle_t handle;
  uint32_t argb;
};

// Ranks are threads: the cache is shared and guarded; entries are never erased, so a copy of
// the value is all a caller keeps.
inline Registered registered(const std::string& name) {
  static std::mutex mu;
  static std::unordered_map<std::string, Registered> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(name);
  if (it == cache.end())
    it = cache.emplace(name, Registered{nvtxDomainRegisterStringA(domain(), name.c_str()),
                                        color_for(name)})
             .first;
  return it->second;
}

}  // namespace detail

// Registers `name` ahead of time (e.g. all phase names at start-up) so the first push is cheap.
inline void register_name(const std::string& name) { (void)detail::registered(name); }

inline void range_push(const std::string& name) {
  const detail::Registered r = detail::registered(name);
  nvtxEventAttributes_t attr{};
  attr.version = NVTX_VERSION;
  attr.size = NVTX_EVENT_ATTRIB_STRUCT_SIZE;
  attr.colorType = NVTX_COLOR_ARGB;
  attr.color = r.argb;
  attr.messageType = NVTX_MESSAGE_TYPE_REGISTERED;
  attr.message.registered = r.handle;
  nvtxDomainRangePushEx(detail::domain(), &attr);
}

inline void range_pop() { nvtxDomainRangePop(detail::domain()); }

#else  // no NVTX headers: the host-only build

inline void register_name(const std::string&) {}
inline void range_push(const std::string&) {}
inline void range_pop() {}

#endif

// A range for the enclosing scope; ranges nest per thread, as NVTX push/pop do.
class Scoped {
 public:
  explicit Scoped(const std::string& name) { range_push(name); }
  ~Scoped() { range_pop(); }
  Scoped(const Scoped&) = delete;
  Scoped& operator=(const Scoped&) = delete;
};

}  // namespace bb::nvtx
