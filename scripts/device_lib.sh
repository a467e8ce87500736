# Shared by the device scripts (sourced): `note` appends to $summary and prints; `run NAME T CMD..`
# runs CMD with a T-second limit, its output in $out/NAME.log, and notes its exit code and time;
# `pack ARCHIVE` moves everything in $out but the summary into one archive (the device returns
# at most 8 files).
note() { echo "$*" | tee -a "$summary"; }
run() {
  local name=$1 t=$2; shift 2
  local t0=$(date +%s)
  timeout "$t" "$@" > "$out/$name.log" 2>&1
  note "== $name: rc=$? ($(( $(date +%s) - t0 ))s)"
}
pack() {
  local tmp=$(mktemp -d) keep=$(basename "$summary")
  (cd "$out" && tar -czf "$tmp/$1" --exclude="$keep" . ; find . -maxdepth 1 -type f ! -name "$keep" -delete)
  mv "$tmp/$1" "$out/$1"
}
