#!/usr/bin/env bash
# Benchmark: tsd-runc beside Debian's runc on the same busybox bundle (hyperfine), then where
# tsd-runc's time goes (TSD_RUNC_TIMING marks). Run as root after `npm run build`:
#   bash bench/runc.sh            # prints markdown; paste into docs/benchmarks.md (runc section)
set -euo pipefail
cd "$(dirname "$0")/.."
TSD=$PWD/bin/tsd-runc
RUNC=${RUNC:-/usr/sbin/runc}
RUNS=${RUNS:-20}
work=$(mktemp -d /tmp/tsdbench-runc-XXXXXX)
trap 'for r in tsd runc; do for id in $("$([ $r = tsd ] && echo "$TSD" || echo "$RUNC")" --root "$work/$r" list -q 2>/dev/null); do :; done; done; rm -rf "$work"' EXIT

# The bundle: busybox-static and its applets, `runc spec` defaults without a terminal, /bin/true.
bundle=$work/bundle
mkdir -p "$bundle/rootfs/bin" "$bundle/rootfs/proc" "$bundle/rootfs/sys" "$bundle/rootfs/dev"
cp /bin/busybox "$bundle/rootfs/bin/"
for applet in true sh; do ln -s busybox "$bundle/rootfs/bin/$applet"; done
(cd "$bundle" && "$RUNC" spec)
jq '.process.terminal = false | .process.args = ["/bin/true"]' "$bundle/config.json" > "$bundle/c.json"
mv "$bundle/c.json" "$bundle/config.json"

echo "## tsd-runc vs runc ($(uname -m), $(nproc) CPUs, Node $(node -v), $("$RUNC" --version | head -1))"
echo
hyperfine -N --warmup 3 --runs "$RUNS" --export-markdown "$work/run.md" \
  -n "runc run /bin/true" "$RUNC --root $work/runc run -b $bundle bench-run" \
  -n "tsd-runc run /bin/true" "$TSD --root $work/tsd run -b $bundle bench-run" >/dev/null
cat "$work/run.md"
echo
hyperfine --warmup 3 --runs "$RUNS" --export-markdown "$work/cycle.md" \
  -n "runc create+start+delete" "$RUNC --root $work/runc create -b $bundle bench-c >/dev/null && $RUNC --root $work/runc start bench-c && $RUNC --root $work/runc delete -f bench-c" \
  -n "tsd-runc create+start+delete" "$TSD --root $work/tsd create -b $bundle bench-c >/dev/null && $TSD --root $work/tsd start bench-c && $TSD --root $work/tsd delete -f bench-c" >/dev/null
cat "$work/cycle.md"
echo
hyperfine -N --warmup 3 --runs "$RUNS" --export-markdown "$work/floor.md" \
  -n "node -e 0 (Node's own start)" "node -e 0" \
  -n "tsd-runc --version (Node + bundle)" "$TSD --version" \
  -n "runc --version" "$RUNC --version" >/dev/null
cat "$work/floor.md"
echo
echo "### Where \`tsd-runc run /bin/true\` spends its time (ms since process start, median of $RUNS)"
echo
for i in $(seq "$RUNS"); do
  TSD_RUNC_TIMING=1 "$TSD" --root "$work/tsd" run -b "$bundle" bench-timing 2>&1 >/dev/null | sed -n 's/^tsd-runc timing //p'
done | node -e '
  const lines = require("fs").readFileSync(0, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  const median = (k) => { const v = lines.map((l) => l[k]).sort((a, b) => a - b); return v[Math.floor(v.length / 2)]; };
  const keys = Object.keys(lines[0]);
  const what = { main: "Node bootstrap + bundle evaluated", "verb-loaded": "verb module loaded", "plan-built": "bundle read, spec validated, cgroup manager, plan built", "helper-ready": "helper: clone, cgroup apply+set, mounts, pivot_root, caps (until ready)", "container-exited": "container ran /bin/true", done: "cleanup: cgroup removed, state deleted" };
  console.log("| mark | at (ms) | step (ms) | what |\n| --- | ---: | ---: | --- |");
  let prev = 0;
  for (const k of keys) { const m = median(k); console.log(`| ${k} | ${m.toFixed(1)} | ${(m - prev).toFixed(1)} | ${what[k] ?? ""} |`); prev = m; }
'
