#!/usr/bin/env bash
# Benchmark: tsd-runc beside Debian's runc on the same busybox bundle (hyperfine): run, the
# create+start+delete cycle and each of its verbs alone, then where tsd-runc's `run` time goes
# (TSD_RUNC_TIMING marks). bin/tsd-runc is the C front end: start and delete take its fast path
# here (no hooks), create and run exec Node on runc.cjs (code cache) with the helper already started.
# Run as root after `npm run build`:
#   bash bench/runc.sh            # prints markdown; paste into docs/benchmarks.md (runc section)
set -euo pipefail
cd "$(dirname "$0")/.."
TSD=$PWD/bin/tsd-runc
RUNC=${RUNC:-/usr/sbin/runc}
RUNS=${RUNS:-20}
work=$(mktemp -d /tmp/tsdbench-runc-XXXXXX)
# Both runtimes keep their state on a tmpfs of the bench's own, as under /run in production (the
# guest's /run is a tmpfs): on a disk-backed root every atomic state write would pay for fsync.
mkdir "$work/state"
mount -t tmpfs -o size=16m tsdbench-runc "$work/state"
trap 'umount "$work/state"; rm -rf "$work"' EXIT

# The Node bin/tsd-runc runs on: $TSD_RUNC_NODE, else the guest's from the image cache, else node.
tsd_node=${TSD_RUNC_NODE:-}
case "$(uname -m)" in x86_64) narch=x64 ;; aarch64) narch=arm64 ;; *) narch=none ;; esac
if [ -z "$tsd_node" ]; then
  for candidate in "${TSD_CACHE:-$HOME/.cache/tsd}/node/node-linux-$narch-"*-stripped/node; do
    [ -x "$candidate" ] && tsd_node=$candidate
  done
fi
tsd_node=${tsd_node:-$(command -v node)}

# The bundle: busybox-static and its applets, `runc spec` defaults without a terminal, /bin/true.
bundle=$work/bundle
mkdir -p "$bundle/rootfs/bin" "$bundle/rootfs/proc" "$bundle/rootfs/sys" "$bundle/rootfs/dev"
cp /bin/busybox "$bundle/rootfs/bin/"
for applet in true sh; do ln -s busybox "$bundle/rootfs/bin/$applet"; done
(cd "$bundle" && "$RUNC" spec)
jq '.process.terminal = false | .process.args = ["/bin/true"]' "$bundle/config.json" > "$bundle/c.json"
mv "$bundle/c.json" "$bundle/config.json"

echo "## tsd-runc vs runc ($(uname -m), $(nproc) CPUs, load $(cut -d" " -f1 /proc/loadavg), tsd-runc on Node $("$tsd_node" -v), $("$RUNC" --version | head -1))"
echo
hyperfine -N --warmup 3 --runs "$RUNS" --export-markdown "$work/run.md" \
  -n "runc run /bin/true" "$RUNC --root $work/state/runc run -b $bundle bench-run" \
  -n "tsd-runc run /bin/true" "$TSD --root $work/state/tsd run -b $bundle bench-run" >/dev/null
cat "$work/run.md"
echo
hyperfine --warmup 3 --runs "$RUNS" --export-markdown "$work/cycle.md" \
  -n "runc create+start+delete" "$RUNC --root $work/state/runc create -b $bundle bench-c >/dev/null && $RUNC --root $work/state/runc start bench-c && $RUNC --root $work/state/runc delete -f bench-c" \
  -n "tsd-runc create+start+delete" "$TSD --root $work/state/tsd create -b $bundle bench-c >/dev/null && $TSD --root $work/state/tsd start bench-c && $TSD --root $work/state/tsd delete -f bench-c" >/dev/null
cat "$work/cycle.md"
echo
# Each verb of the cycle alone: a prepare script brings the container to the state the verb needs
# (for delete: stopped, /bin/true has exited, as `state` confirms).
per_verb=()
for rt in runc tsd-runc; do
  if [ $rt = runc ]; then bin="$RUNC --root $work/state/runc"; else bin="$TSD --root $work/state/tsd"; fi
  printf '%s\n' "$bin delete -f bench-v >/dev/null 2>&1; true" > "$work/$rt-none.sh"
  printf '%s\n' "$bin delete -f bench-v >/dev/null 2>&1; $bin create -b $bundle bench-v" > "$work/$rt-created.sh"
  printf '%s\n' "$bin delete -f bench-v >/dev/null 2>&1; $bin create -b $bundle bench-v && $bin start bench-v" \
    "for i in \$(seq 200); do $bin state bench-v | grep -q '\"stopped\"' && exit 0; sleep 0.01; done; exit 1" > "$work/$rt-stopped.sh"
  per_verb+=(--prepare "sh $work/$rt-none.sh" -n "$rt create" "$bin create -b $bundle bench-v"
    --prepare "sh $work/$rt-created.sh" -n "$rt start" "$bin start bench-v"
    --prepare "sh $work/$rt-stopped.sh" -n "$rt delete (stopped)" "$bin delete bench-v")
done
hyperfine -N --warmup 2 --runs "$RUNS" --export-markdown "$work/verbs.md" "${per_verb[@]}" >/dev/null
sh "$work/runc-none.sh"
sh "$work/tsd-runc-none.sh"
cat "$work/verbs.md"
echo
hyperfine -N --warmup 3 --runs "$RUNS" --export-markdown "$work/floor.md" \
  -n "node -e 0 (Node's own start)" "$tsd_node -e 0" \
  -n "tsd-runc --version (Node + bundle)" "$TSD --version" \
  -n "runc --version" "$RUNC --version" >/dev/null
cat "$work/floor.md"
echo
echo "### Where \`tsd-runc run /bin/true\` spends its time (ms since process start, median of $RUNS; CPU: the Node process's own, helper and container not included)"
echo
for i in $(seq "$RUNS"); do
  TSD_RUNC_TIMING=1 "$TSD" --root "$work/state/tsd" run -b "$bundle" bench-timing 2>&1 >/dev/null | sed -n 's/^tsd-runc timing\(-cpu\)\{0,1\} /&/p'
done | node -e '
  const all = require("fs").readFileSync(0, "utf8").trim().split("\n");
  const parse = (prefix) => all.filter((l) => l.startsWith(prefix + " ")).map((l) => JSON.parse(l.slice(prefix.length + 1)));
  const wall = parse("tsd-runc timing"), cpu = parse("tsd-runc timing-cpu");
  const median = (lines, k) => { const v = lines.map((l) => l[k]).sort((a, b) => a - b); return v[Math.floor(v.length / 2)]; };
  const keys = Object.keys(wall[0]);
  const what = { main: "Node bootstrap + bundle evaluated", "verb-loaded": "verb module loaded", "plan-built": "bundle read, spec validated, cgroup manager, plan built", "sync-setup": "plan encoded and sent to the helper the front end started, clone; the container stops at its first sync point", "cgroup-applied": "state saved; cgroup created and joined (cgroup.procs in each hierarchy)", "cgroup-set": "limits written", "helper-ready": "mounts, /dev, pivot_root, identity (until ready)", "container-exited": "container ran /bin/true", done: "cleanup: cgroup removed, state deleted" };
  console.log("| mark | at (ms) | step (ms) | CPU at (ms) | CPU step (ms) | what |\n| --- | ---: | ---: | ---: | ---: | --- |");
  let prev = 0, prevCpu = 0;
  for (const k of keys) {
    const m = median(wall, k), c = median(cpu, k);
    console.log(`| ${k} | ${m.toFixed(1)} | ${(m - prev).toFixed(1)} | ${c.toFixed(1)} | ${(c - prevCpu).toFixed(1)} | ${what[k] ?? ""} |`);
    prev = m; prevCpu = c;
  }
'
