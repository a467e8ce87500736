# Fault c probe: does a late rank's delay reach p2p's phases over sockets, and why?
#   run: bash .carry/probe_c.sh   carry: [".carry/probe_c.sh"]   (builds if build/ is missing)
t0=$(date +%s); left() { echo $(( ${BB_PROBE_S:-400} - ($(date +%s) - t0) )); }
S=$OUT/c; mkdir -p $S; sum=$S/0_probe.md; : > $sum
export PATH=/usr/local/cuda/bin:$PATH NCCL_NVLS_ENABLE=0
[ -x build/bench/bridge_bench ] || { cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > $S/configure.log 2>&1; cmake --build build -j16 > $S/build.log 2>&1; }
flags=(--layouts=tp1dp2-tp2dp1,tp2dp1-tp1cp2dp1 --strategies=reference,p2p --mem=bsh --shapes=8x1024x1024 --iters=30 --collectives=off)
one() {  # name delay_ms [env assignments]
  local name=$1 d=$2; shift 2
  [ $(left) -gt 40 ] || { echo "skip $name (time)" >> $sum; return; }
  local dl=(); [ "$d" != 0 ] && dl=(--inject-delay=1:$d)
  local s=$(date +%s)
  env "$@" timeout 120 scripts/rehearse.sh -n 2 ${MPS:+--mps} -- "${flags[@]}" "${dl[@]}" --json $S/$name.json > $S/$name.log 2>&1
  local rc=$?
  python3 - $S/$name.json "$name" "$rc" "$(( $(date +%s)-s ))" >> $sum <<'PY'
import json, sys
p, name, rc, secs = sys.argv[1:]
try:
    doc = json.load(open(p))
except Exception as e:
    print(f"| {name} | rc {rc} | {secs}s | unreadable {e} |"); sys.exit()
cells = []
for c in doc["configs"]:
    k = c["key"]
    for q in c["phases"]:
        if q["median_ms"] < 0.5: continue  # the local copies: not what the delay could reach
        cells.append(f"{k['layout'].split('-')[0]} {k['strategy']} {q['name']} {q['median_ms']:.3f} [{q['min_ms']:.3f}-{q['max_ms']:.3f}]")
    cells.append(f"skew {c['launch_skew']['median_ms']:.2f}")
print(f"| {name} | rc {rc} | {secs}s | " + " | ".join(cells) + " |")
PY
}
echo "device: $(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)" >> $sum
for d in 0 5 20; do one plain_d$d $d; done
one socknt4_d20 20 NCCL_SOCKET_NTHREADS=4 NCCL_NSOCKS_PERTHREAD=1
one d0_again 0
MPS=1; for d in 0 20; do one mps_d$d $d; done
cd $S && tar -czf /tmp/c.tgz --exclude=0_probe.md . ; mv /tmp/c.tgz $S/c.tgz; find . -mindepth 1 -maxdepth 1 ! -name 0_probe.md ! -name c.tgz -exec rm -rf {} +
echo "end at $(( $(date +%s)-t0 ))s" >> $sum
