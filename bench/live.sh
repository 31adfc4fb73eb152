#!/usr/bin/env bash
# The live sensor against a replay (issue 17's benchmark; not a test).
#
#   bash bench/live.sh [--capture FILE] [--cpu N] [--no-build] [--soak DURATION --soak-pps N]
#
# In a network namespace of its own: a veth pair, `wardline sensor` on one end pinned to one
# core (--cpu, default 1), tcpreplay on the other end pinned to the other core.
#
# 1. Top speed: the bench capture (bench/out/capture-1x.pcap, made as bench/run.sh makes it)
#    replayed with `tcpreplay --topspeed`. Reports the rate tcpreplay reached, what the
#    sensor read and what the kernel dropped (PACKET_STATISTICS). Beside it, on the same
#    core and the same replay, tcpdump writing to /dev/null: libpcap on the same TPACKET_V3
#    ring with no analysis, the floor any sensor reading this ring stands on.
# 2. If the kernel dropped frames at top speed, the replay is paced (`--pps`) lower until a
#    run has none: the highest zero-drop rate found.
# 3. --soak DURATION (`1h`): the sensor runs for that long under a paced replay looping the
#    capture (`--soak-pps`, default 20000), its RSS sampled every 30 s: flat or not.
#
# Results: a Markdown table on stdout and in bench/results/DATE-COMMIT-live.md.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
BENCH="$REPO/bench"
CAPTURE="$BENCH/out/capture-1x.pcap"
CPU=1
BUILD=1
SOAK=""
SOAK_PPS=20000
while [ $# -gt 0 ]; do
  case "$1" in
    --capture) CAPTURE="$2"; shift 2 ;;
    --cpu) CPU="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --soak) SOAK="$2"; shift 2 ;;
    --soak-pps) SOAK_PPS="$2"; shift 2 ;;
    -h|--help) sed -n 2,20p "$0"; exit 0 ;;
    *) echo "bench/live.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
log() { echo "bench/live.sh: $*" >&2; }
die() { log "$*"; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (a network namespace and packet sockets)"
for t in tcpreplay tcpdump taskset ip python3; do
  command -v "$t" >/dev/null || die "missing $t (Debian: apt-get install -y tcpreplay tcpdump util-linux iproute2 python3)"
done
OTHER=$(( CPU == 0 ? 1 : 0 ))

WARDLINE="${CARGO_TARGET_DIR:-$REPO/target}/release/wardline"
if [ "$BUILD" = 1 ]; then
  log "cargo build --release -p cli"
  (cd "$REPO" && cargo build --release -p cli)
fi
[ -x "$WARDLINE" ] || die "no wardline binary at $WARDLINE"
if [ ! -f "$CAPTURE" ]; then
  log "python3 bench/make-capture.py --size-gb 1.0 --out $CAPTURE"
  mkdir -p "$(dirname "$CAPTURE")"
  python3 "$BENCH/make-capture.py" --corpus "$REPO/../shared/corpus" --size-gb 1.0 \
    --out "$CAPTURE" --meta "${CAPTURE%.pcap}.json"
fi
# The capture read once into the page cache: tcpreplay should not wait on the disk.
cat "$CAPTURE" >/dev/null

NS="wl-bench-$$"
WORK="$(mktemp -d)"
cleanup() { ip netns del "$NS" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
ip netns add "$NS"
nsx() { ip netns exec "$NS" "$@"; }
nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=1
nsx sysctl -qw net.ipv6.conf.default.disable_ipv6=1
nsx ip link add name a type veth peer name b
# The largest MTU a veth takes: offloaded captures hold frames far above 1500 bytes.
for d in a b; do nsx ip link set dev "$d" mtu 65521 up; done
export WARDLINE_DB_KEY="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"

# Runs the sensor pinned to $CPU while tcpreplay (pinned to $OTHER) plays ARGS; prints
# "sent_pps sensor_packets kernel_received kernel_dropped seconds".
sensor_run() {
  rm -f "$WORK"/live.db*
  ip netns exec "$NS" taskset -c "$CPU" "$WARDLINE" sensor --interface a --db "$WORK/live.db" --flush 5s \
    >"$WORK/summary.json" 2>"$WORK/sensor.err" &
  local pid=$!
  until grep -q "sensor on" "$WORK/sensor.err" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { cat "$WORK/sensor.err" >&2; die "the sensor did not start"; }
    sleep 0.1
  done
  nsx taskset -c "$OTHER" tcpreplay --intf1 b "$@" "$CAPTURE" >"$WORK/replay.out" 2>&1 || true
  sleep 2
  kill -TERM "$pid"
  wait "$pid" || true
  python3 - "$WORK/summary.json" "$WORK/replay.out" <<'EOF'
import json, re, sys
s = json.load(open(sys.argv[1]))
out = open(sys.argv[2]).read()
m = re.search(r"Rated: [\d.]+ Bps, [\d.]+ Mbps, ([\d.]+) pps", out)
print(m.group(1) if m else "0", s["packets"], s["kernel"]["received"], s["kernel"]["dropped"], round(s["seconds"], 1))
EOF
}

# tcpdump writing nowhere, pinned the same way: "sent_pps captured kernel_dropped".
tcpdump_run() {
  ip netns exec "$NS" taskset -c "$CPU" tcpdump -i a -s 0 -w /dev/null -B 65536 2>"$WORK/tcpdump.err" &
  local pid=$!
  until grep -q "listening on" "$WORK/tcpdump.err" 2>/dev/null; do sleep 0.1; done
  nsx taskset -c "$OTHER" tcpreplay --intf1 b "$@" "$CAPTURE" >"$WORK/replay.out" 2>&1 || true
  sleep 2
  kill -INT "$pid"
  wait "$pid" || true
  python3 - "$WORK/tcpdump.err" "$WORK/replay.out" <<'EOF'
import re, sys
err = open(sys.argv[1]).read()
out = open(sys.argv[2]).read()
m = re.search(r"Rated: [\d.]+ Bps, [\d.]+ Mbps, ([\d.]+) pps", out)
cap = re.search(r"(\d+) packets captured", err)
drop = re.search(r"(\d+) packets dropped by kernel", err)
print(m.group(1) if m else "0", cap.group(1) if cap else "0", drop.group(1) if drop else "0")
EOF
}

replayed_frames() {
  grep -oE "Successful packets: +[0-9]+" "$WORK/replay.out" | grep -oE "[0-9]+$" || echo 0
}
failed_frames() {
  grep -oE "Failed packets: +[0-9]+" "$WORK/replay.out" | grep -oE "[0-9]+$" || echo 0
}

COMMIT="$(git -C "$REPO" rev-parse --short HEAD)"
RESULT="$BENCH/results/$(date -u +%Y-%m-%d)-$COMMIT-live.md"
{
  echo "# Live sensor: \`bash bench/live.sh${*:+ $*}\` at $COMMIT, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Capture: \`${CAPTURE#$REPO/}\` ($(stat -c %s "$CAPTURE") bytes). Sensor pinned to CPU $CPU,"
  echo "tcpreplay to CPU $OTHER, a veth pair in a namespace of its own; $(nproc) cores,"
  echo "$(uname -r)."
  echo
} >"$RESULT.tmp"

log "top speed: wardline sensor"
read -r W_PPS W_PACKETS W_RECEIVED W_DROPPED W_SECONDS < <(sensor_run --topspeed)
W_SENT="$(replayed_frames)"; W_FAILED="$(failed_frames)"
log "top speed: tcpdump -w /dev/null"
read -r T_PPS T_CAPTURED T_DROPPED < <(tcpdump_run --topspeed)
{
  echo "## Top speed (\`tcpreplay --topspeed\`)"
  echo
  echo "| reader | replay pps | frames sent | read | kernel dropped | dropped % |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: |"
  echo "| wardline sensor | $W_PPS | $W_SENT | $W_PACKETS | $W_DROPPED | $(python3 -c "print(round(100*$W_DROPPED/max($W_RECEIVED,1),2))") |"
  echo "| tcpdump -w /dev/null | $T_PPS | $(replayed_frames) | $T_CAPTURED | $T_DROPPED | $(python3 -c "print(round(100*$T_DROPPED/max($T_CAPTURED+$T_DROPPED,1),2))") |"
  echo
  [ "$W_FAILED" = 0 ] || echo "tcpreplay could not send $W_FAILED frames (larger than the veth's MTU)."
  echo
} >>"$RESULT.tmp"

ZERO_PPS=""
if [ "$W_DROPPED" = 0 ]; then
  ZERO_PPS="$W_PPS (top speed)"
else
  rate=$(python3 -c "print(int($W_PPS * (1 - $W_DROPPED / max($W_RECEIVED, 1)) * 0.9))")
  echo "## Paced until no frame is dropped" >>"$RESULT.tmp"
  echo >>"$RESULT.tmp"
  echo "| --pps asked | reached | read | kernel dropped |" >>"$RESULT.tmp"
  echo "| ---: | ---: | ---: | ---: |" >>"$RESULT.tmp"
  for _ in 1 2 3 4 5; do
    log "paced at $rate pps"
    read -r P_PPS P_PACKETS P_RECEIVED P_DROPPED P_SECONDS < <(sensor_run --pps "$rate")
    echo "| $rate | $P_PPS | $P_PACKETS | $P_DROPPED |" >>"$RESULT.tmp"
    if [ "$P_DROPPED" = 0 ]; then ZERO_PPS="$P_PPS"; break; fi
    rate=$(python3 -c "print(int($rate * 0.75))")
  done
  echo >>"$RESULT.tmp"
fi
echo "Highest replay rate with no kernel drop: **${ZERO_PPS:-not found} packets/s**." >>"$RESULT.tmp"
echo >>"$RESULT.tmp"

if [ -n "$SOAK" ]; then
  secs=$(python3 -c "
import re,sys; m=re.fullmatch(r'(\d+)([smhd]?)','$SOAK'); n=int(m.group(1)); print(n*{'':1,'s':1,'m':60,'h':3600,'d':86400}[m.group(2)])")
  log "soak: $SOAK at $SOAK_PPS pps"
  rm -f "$WORK"/live.db*
  ip netns exec "$NS" taskset -c "$CPU" "$WARDLINE" sensor --interface a --db "$WORK/live.db" --flush 5s \
    --duration "${secs}s" >"$WORK/soak.json" 2>"$WORK/soak.err" &
  spid=$!
  until grep -q "sensor on" "$WORK/soak.err" 2>/dev/null; do sleep 0.1; done
  ip netns exec "$NS" taskset -c "$OTHER" tcpreplay --intf1 b --pps "$SOAK_PPS" --loop 0 "$CAPTURE" >/dev/null 2>&1 &
  rpid=$!
  : >"$WORK/rss.tsv"
  start=$(date +%s)
  while kill -0 "$spid" 2>/dev/null; do
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$spid/status" 2>/dev/null || true)
    [ -n "$rss" ] && echo -e "$(( $(date +%s) - start ))\t$rss" >>"$WORK/rss.tsv"
    sleep 30
  done
  kill "$rpid" 2>/dev/null || true
  wait "$spid" || true
  python3 - "$WORK/rss.tsv" "$WORK/soak.json" "$SOAK" "$SOAK_PPS" >>"$RESULT.tmp" <<'EOF'
import json, sys
rows = [tuple(map(int, l.split("\t"))) for l in open(sys.argv[1]) if l.strip()]
s = json.load(open(sys.argv[2]))
print(f"## Soak: {sys.argv[3]} at {sys.argv[4]} packets/s, the capture looped\n")
print(f"- Frames read: {s['packets']}; kernel dropped: {s['kernel']['dropped']}; flushes: {s['flushes']} "
      f"({s['deferred_flushes']} put off); devices stored: {s['devices']['new']}.")
if rows:
    mib = lambda kib: f"{kib / 1024:.0f} MiB"
    # After the first ten minutes (every device seen once), RSS should not grow.
    settled = [r for t, r in rows if t >= 600] or [r for _, r in rows]
    print(f"- RSS: first sample {mib(rows[0][1])}, at 10 min {mib(settled[0])}, "
          f"max {mib(max(r for _, r in rows))}, last {mib(rows[-1][1])}; after 10 min min {mib(min(settled))}, "
          f"max {mib(max(settled))} ({len(rows)} samples every 30 s).")
    print("\n| minute | RSS MiB |\n| ---: | ---: |")
    for t, r in rows[:: max(1, len(rows) // 12)]:
        print(f"| {t // 60} | {r / 1024:.0f} |")
print()
EOF
fi
mv "$RESULT.tmp" "$RESULT"
cat "$RESULT"
log "written to ${RESULT#$REPO/}"
