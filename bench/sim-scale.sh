#!/usr/bin/env bash
# Scale benchmark of the simulator and of analyze on its output (issue: a hospital on demand):
# a 100,000-device hospital over enough simulated time for >= 50 M packets, then
# `wardline analyze` on it: generation packets/s, analysis packets/s, peak RSS, time to the
# complete inventory. Not a test: figures go to bench/results/<date>-<sha>-sim-scale.md.
#
#   bash bench/sim-scale.sh [--devices N] [--duration 90m] [--seed S] [--keep] [--no-build]
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$REPO/bench/out"
DEVICES=100000
DURATION=90m
SEED=1
KEEP=0
BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --devices) DEVICES="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "sim-scale.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -x /usr/bin/time ] || { echo "sim-scale.sh: needs GNU time (apt-get install -y time)" >&2; exit 1; }
[ "$BUILD" = 1 ] && (cd "$REPO" && cargo build --release -p cli >&2)
WARDLINE="${CARGO_TARGET_DIR:-$REPO/target}/release/wardline"
mkdir -p "$OUT"
CAP="$OUT/sim-$DEVICES-$DURATION-$SEED.pcapng"
TRUTH="$OUT/sim-$DEVICES-$DURATION-$SEED.truth.json"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"; [ "$KEEP" = 1 ] || rm -f "$CAP" "$TRUTH"' EXIT

field() { sed -n "s/.*$1: //p" "$2" | head -1; }
secs() {  # GNU time's "h:mm:ss" or "m:ss.ss" elapsed → seconds
  python3 -c "import sys; p=[float(x) for x in sys.argv[1].split(':')]; print(sum(v*60**i for i,v in enumerate(reversed(p))))" "$1"
}

echo "== simulating $DEVICES devices for $DURATION (seed $SEED) into $CAP" >&2
/usr/bin/time -v -o "$TMP/sim.time" "$WARDLINE" sim --devices "$DEVICES" --duration "$DURATION" \
  --seed "$SEED" --out "$CAP" --truth "$TRUTH" --no-progress 2>"$TMP/sim.err"
cat "$TMP/sim.err" >&2
PACKETS="$(sed -n 's/.* devices, \([0-9]*\) packets.*/\1/p' "$TMP/sim.err")"
SIM_S="$(secs "$(field 'Elapsed (wall clock) time (h:mm:ss or m:ss)' "$TMP/sim.time")")"
SIM_RSS="$(field 'Maximum resident set size (kbytes)' "$TMP/sim.time")"
BYTES="$(stat -c %s "$CAP")"

echo "== reading it into the page cache, then wardline analyze" >&2
cat "$CAP" >/dev/null
# A capture near the machine's memory size cannot stay whole in the page cache: say how much
# of it was there when analyze started.
RES="$(fincore --bytes --noheadings --output RES "$CAP" 2>/dev/null || echo 0)"
RESIDENT="$(python3 -c "print(f'{100 * ${RES:-0} / $BYTES:.0f}')")"
/usr/bin/time -v -o "$TMP/an.time" "$WARDLINE" analyze "$CAP" --format json --no-progress >"$TMP/report.json" 2>"$TMP/an.err" || true
AN_S="$(secs "$(field 'Elapsed (wall clock) time (h:mm:ss or m:ss)' "$TMP/an.time")")"
AN_RSS="$(field 'Maximum resident set size (kbytes)' "$TMP/an.time")"
read -r DEVS FINDINGS REPORTED <<<"$(python3 -c '
import json,sys; r=json.load(open(sys.argv[1])); print(len(r["devices"]), len(r["findings"]), r["stats"]["packets"])' "$TMP/report.json")"
TRUTH_DEVS="$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["devices"]))' "$TRUTH")"

sha="$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo nogit)"
mkdir -p "$REPO/bench/results"
RESULT="$REPO/bench/results/$(date -u +%Y-%m-%d)-$sha-sim-scale.md"
python3 - "$RESULT" <<PY
import sys
p, b, ss, sr, a, ar = $PACKETS, $BYTES, $SIM_S, $SIM_RSS, $AN_S, $AN_RSS
lines = [
  f"# wardline sim at scale — $(date -u +%Y-%m-%d), commit $sha",
  "",
  f"\`wardline sim --devices $DEVICES --duration $DURATION --seed $SEED\`, then \`wardline analyze --format json\` on the capture after reading it once ({$RESIDENT}% of it in the page cache when analyze started; the rest came from the disk), each under \`/usr/bin/time -v\`. $(nproc) cores, $(free -g | awk '/^Mem:/{print $2}') GiB: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1).",
  "",
  "| step | packets | wall s | packets/s | peak RSS MiB |",
  "| --- | ---: | ---: | ---: | ---: |",
  f"| sim (generate, write {b/1e9:.1f} GB pcapng) | {p:,} | {ss:.1f} | {p/ss/1e6:.2f} M | {sr/1024:.0f} |",
  f"| analyze (read, parse, complete inventory, JSON report) | {$REPORTED:,} | {a:.1f} | {$REPORTED/a/1e6:.2f} M | {ar/1024:.0f} |",
  "",
  f"Devices: {$TRUTH_DEVS:,} in the truth (booted before the end), {$DEVS:,} in the report (including addresses seen only behind the router); {$FINDINGS:,} findings.",
  f"Time to a complete inventory = analyze's wall time: {a:.1f} s.",
]
open(p_out := sys.argv[1], "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
echo "sim-scale.sh: results written to $RESULT" >&2
