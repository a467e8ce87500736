#include "run/checked_run.hpp"

#include <cstdio>
#include <memory>
#include <mutex>

#include "run/tensor_dump.hpp"

namespace bb {
namespace {

std::mutex g_first_mu;

struct Checker {
  RankBridge& rb;
  CheckOutcome& out;
  void verify(const char* tensor, const void* p, const PatternGeom& g, const std::vector<int64_t>& table) {
    VerifyResult r = rb.dev().verify(p, g, table);
    ++out.tensors_checked;
    out.elements_checked += pattern_elems(g);
    if (r.mismatches == 0) return;
    if (out.mismatches == 0) {
      out.first_mismatch = describe_mismatch(tensor, rb.rank(), g, r);
      std::lock_guard<std::mutex> lk(g_first_mu);
      std::fprintf(stderr, "oracle mismatch: %s\n", out.first_mismatch.c_str());
    }
    out.mismatches += r.mismatches;
  }
};

PatternGeom geom(const RunContext& cx, int64_t batch, int cp_rank, uint32_t salt) {
  return pattern_geom(cx.shape, batch, cx.plan.dest_cp, cp_rank, salt);
}
int cp_rank(const RunContext& cx) { return cx.plan.dest_cp > 1 ? cx.plan.dest_of(cx.rank).cp : -1; }

// The layout's dumped tensors of one pass, as the strategy left them.
void dump_pass(TensorDump* dump, const BufferLayout& layout, const RankBridge& rb, RankBridge::Buffers& b, bool backward) {
  if (!dump) return;
  for (const auto& s : layout)
    if (s.dumped && s.backward == backward && slot_ptr(b, s)) dump->add(s.name, (rb.*s.ref)(slot_ptr(b, s)));
}

}  // namespace

void fill_inputs(const RunContext& cx, RankBridge::Buffers& b) {
  cx.dev.fill(b.src, geom(cx, cx.shape.b, -1, kSaltActivation), src_table(cx.plan, cx.rank, cx.shape.b));
  cx.dev.fill(b.grad_shard, geom(cx, cx.rb->dest_batch(), cp_rank(cx), kSaltGradient),
              dest_table(cx.plan, cx.rank, cx.shape.b));
}

void checked_run(const RunContext& cx, BufferSets& sets, RunResult& res) {
  RankBridge& rb = *cx.rb;
  RankBridge::Buffers& B = rb.sets()[0];
  B = sets.pristine(0);
  rb.use_set(0);
  const int64_t b = cx.shape.b, bd = rb.dest_batch();
  const BufferLayout layout = buffer_layout(cx.strategy, rb);
  cx.dev.fill(B.src, geom(cx, b, -1, kSaltActivation), src_table(cx.plan, cx.rank, b));
  for (const auto& s : layout)
    if (s.role != BufferSlot::Role::forward_input && slot_ptr(B, s)) cx.dev.poison(slot_ptr(B, s), size_t(s.bytes));
  PhaseRecorder rec(cx.dev, false, cx.opts.nvtx, nullptr);
  rb.set_recorder(&rec);
  cx.strategy.forward(rb);
  cx.world.synchronize();
  std::unique_ptr<TensorDump> dump;
  if (!cx.opts.dump_dir.empty()) dump = std::make_unique<TensorDump>(cx.opts.dump_dir, cx.rank, cx.shape);
  dump_pass(dump.get(), layout, rb, B, false);
  Checker chk{rb, res.check};
  const auto dtab = dest_table(cx.plan, cx.rank, b);
  if (B.dest) chk.verify("forward output (dest)", B.dest, geom(cx, bd, -1, kSaltActivation), dtab);
  if (cx.plan.dest_cp > 1) chk.verify("CP shard", B.shard, geom(cx, bd, cp_rank(cx), kSaltActivation), dtab);
  // The LLM's gradient w.r.t. its shard, written over the poison.
  cx.dev.fill(B.grad_shard, geom(cx, bd, cp_rank(cx), kSaltGradient), dtab);
  cx.strategy.backward(rb);
  cx.world.synchronize();
  if (dump) {
    dump_pass(dump.get(), layout, rb, B, true);
    dump->finish();
  }
  if (B.dest_grad && cx.plan.dest_cp > 1)
    chk.verify("CP-reduced gradient (dest_grad)", B.dest_grad, geom(cx, bd, -1, kSaltGradient),
               reduced_grad_table(cx.plan, cx.rank, b));
  chk.verify("backward output (src_grad)", B.src_grad, geom(cx, b, -1, kSaltGradient),
             src_grad_table(cx.plan, cx.rank, b));
  res.work = rec.work();
  rb.set_recorder(nullptr);
}

int64_t elements_expected(const RunContext& cx) {
  const RankBridge& rb = *cx.rb;
  const RankBridge::Buffers& B = cx.rb->sets()[0];
  auto elems = [](const TensorRef& t) { return t.b * t.s * t.h; };
  int64_t n = elems(rb.src_ref(nullptr));  // src_grad
  if (cx.plan.dest_cp > 1) n += elems(rb.shard_ref(nullptr));
  if (B.dest) n += elems(rb.dest_ref(nullptr));
  if (B.dest_grad && cx.plan.dest_cp > 1) n += elems(rb.dest_ref(nullptr));
  return n;
}

}  // namespace bb
