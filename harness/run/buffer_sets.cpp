#include "run/buffer_sets.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>

namespace bb {
namespace {

// Which ranks' buffers share one memory (and one cache): all of them in thread simulations.
int ranks_sharing_memory(const Comm& world) { return world.traits().shares_memory ? world.size() : 1; }

}  // namespace

BufferSets::BufferSets(const RunContext& cx, std::vector<Comm*> path_comms, std::unique_ptr<BufferProvider> provider)
    : cx_(cx), path_comms_(std::move(path_comms)), provider_(std::move(provider)) {
  if (cx_.member) layout_ = buffer_layout(cx_.strategy, *cx_.rb);
}

BufferSets::~BufferSets() {
  for (void* a : arenas_) {
    if (!provider_) break;
    try {
      provider_->release(a);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "bridgebench: releasing a path buffer set: %s\n", e.what());
    }
  }
}

void BufferSets::allocate(RunResult& res) {
  const RunOptions& o = cx_.opts;
  Comm& world = cx_.world;
  const int64_t per_set = layout_bytes(layout_);
  const int sharing = ranks_sharing_memory(world);
  int sets = o.buffer_sets;
  if (sets <= 0) {
    const double need = 2.0 * double(o.l2_bytes);
    const double have = double(std::max<int64_t>(per_set, 1)) * sharing;
    sets = std::clamp(int((need + have - 1) / have), 1, 8);
  }
  sets = int(world.max_over_ranks(double(sets)));  // same count on every rank
  if (!o.time) sets = 1;
  count_ = res.buffer_sets = sets;
  std::string oom;
  if (cx_.member) {
    const int64_t budget = cx_.dev.memory_budget_bytes();
    const double total = double(per_set) * sets * sharing;
    if (budget >= 0 && total > 0.9 * double(budget))
      oom = "config needs " + std::to_string(int64_t(total) >> 20) + " MiB (" + std::to_string(sets) +
            " buffer set(s) x " + std::to_string(sharing) + " rank(s) sharing memory) but only " +
            std::to_string(budget >> 20) + " MiB are available on " + cx_.dev.kind();
  }
  if (world.max_over_ranks(oom.empty() ? 0.0 : 1.0) > 0)
    throw Error("out_of_memory_budget", oom.empty() ? "a peer rank does not have the memory for this config" : oom);
  if (provider_) {
    allocate_on_path(res);
  } else if (cx_.member) {
    auto alloc = [&](int64_t bytes) {
      owned_.emplace_back(cx_.dev, size_t(bytes));
      return owned_.back().get();
    };
    for (int k = 0; k < sets; ++k) pristine_.push_back(make_buffer_set(cx_.strategy, *cx_.rb, alloc));
    cx_.rb->sets() = pristine_;
    res.peak_bytes = per_set * sets;
  }
  res.peak_bytes = int64_t(world.max_over_ranks(double(res.peak_bytes)));
}

// One arena per set. Every slot's size is agreed over the world (the max) and rounded to the
// window alignment, so each slot sits at the same offset on every rank, as a symmetric window
// requires (a slot a rank does not use is 0 bytes there and nullptr). Collective.
void BufferSets::allocate_on_path(RunResult& res) {
  Comm& world = cx_.world;
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<int64_t> own;
  for (const auto& s : layout_) own.push_back(s.used ? s.bytes : 0);
  const int slots = int(world.max_over_ranks(double(own.size())));
  own.resize(size_t(slots), 0);
  std::vector<int64_t> off(size_t(slots) + 1, 0);
  for (int i = 0; i < slots; ++i)
    off[size_t(i) + 1] = off[size_t(i)] + window_round(int64_t(world.max_over_ranks(double(own[size_t(i)]))));
  const int64_t arena = std::max<int64_t>(off.back(), kWindowAlign);
  if (cx_.member) {
    std::vector<Comm*> on;
    for (Comm* c : path_comms_)
      if (c) on.push_back(c);
    for (int k = 0; k < count_; ++k) {
      char* base = static_cast<char*>(provider_->acquire(size_t(arena), on));
      arenas_.push_back(base);
      RankBridge::Buffers b;
      for (size_t i = 0; i < layout_.size(); ++i)
        slot_ptr(b, layout_[i]) = own[i] ? static_cast<void*>(base + off[i]) : nullptr;
      pristine_.push_back(b);
    }
    cx_.rb->sets() = pristine_;
    res.peak_bytes = arena * count_;
  }
  res.path_registered = provider_->registers();
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  res.path_setup_ms = world.max_over_ranks(ms);
}

RankBridge::Buffers& BufferSets::use(int it) {
  cx_.rb->use_set(size_t(it));
  RankBridge::Buffers& b = cx_.rb->buf();
  const RankBridge::Buffers& p = pristine(it);
  for (const auto& s : layout_)
    if (s.role == BufferSlot::Role::output) b.*s.member = p.*s.member;
  return b;
}

void BufferSets::reset() {
  if (cx_.member)
    for (int k = 0; k < count_; ++k) cx_.rb->sets()[size_t(k)] = pristine(k);
}

}  // namespace bb
