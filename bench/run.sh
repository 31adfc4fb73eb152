#!/usr/bin/env bash
# Throughput and memory benchmark: wardline analyze vs ndpiReader, p0f and tshark on the same
# large capture, each pinned to one core. See bench/README.md.
#
#   bash bench/run.sh [--runs N] [--tools wardline,ndpi,p0f,tshark] [--skip TOOL]...
#                     [--quick] [--size-gb X] [--with-4x|--no-4x] [--cpu N]
#                     [--corpus DIR] [--no-build] [--rebuild-capture]
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$REPO/bench"
OUT="$BENCH/out"

RUNS=3
TOOLS="wardline,ndpi,p0f,tshark"
SKIP=()
QUICK=0
SIZE_GB=""
WITH_4X=auto
CPU=1
CORPUS="$REPO/../shared/corpus"
BUILD=1
REBUILD_CAPTURE=0

usage() {
  sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  cat <<'EOF'

  --runs N            timed runs of each tool, interleaved (default 3); median wall, max RSS
  --tools LIST        comma-separated subset of wardline,wardline-noapp,ndpi,p0f,tshark
                      (default: wardline,ndpi,p0f,tshark; wardline-noapp = --no-app-layer)
  --skip TOOL         drop one tool (repeatable), e.g. --skip tshark
  --quick             smoke test: a ~0.1 GiB capture (bench/out/capture-quick*.pcap);
                      results go to bench/out/, not bench/results/
  --size-gb X         size of the 1x capture in GiB (default 1.0; 0.1 with --quick)
  --with-4x/--no-4x   also run wardline on a 4x capture to show flat RSS
                      (default: on if the disk has room for it)
  --cpu N             core to pin every tool to with taskset (default 1)
  --corpus DIR        corpus directory (default ../shared/corpus from the repo root)
  --no-build          do not run cargo build; use the existing target/release/wardline
  --rebuild-capture   rebuild the capture(s) even if present
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --runs=*) RUNS="${1#*=}"; shift ;;
    --tools) TOOLS="$2"; shift 2 ;;
    --tools=*) TOOLS="${1#*=}"; shift ;;
    --skip) SKIP+=("$2"); shift 2 ;;
    --skip=*) SKIP+=("${1#*=}"); shift ;;
    --quick) QUICK=1; shift ;;
    --size-gb) SIZE_GB="$2"; shift 2 ;;
    --size-gb=*) SIZE_GB="${1#*=}"; shift ;;
    --with-4x) WITH_4X=1; shift ;;
    --no-4x) WITH_4X=0; shift ;;
    --cpu) CPU="$2"; shift 2 ;;
    --cpu=*) CPU="${1#*=}"; shift ;;
    --corpus) CORPUS="$2"; shift 2 ;;
    --corpus=*) CORPUS="${1#*=}"; shift ;;
    --no-build) BUILD=0; shift ;;
    --rebuild-capture) REBUILD_CAPTURE=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

die() { echo "run.sh: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
if [ "$QUICK" = 1 ]; then
  SIZE_GB="${SIZE_GB:-0.1}"; NAME=capture-quick
else
  SIZE_GB="${SIZE_GB:-1.0}"; NAME=capture-1x
fi
[ "$SIZE_GB" != "1.0" ] && [ "$QUICK" = 0 ] && NAME="capture-${SIZE_GB}g"

# Selected tools, in the order given (the interleaving order).
SEL=()
IFS=',' read -r -a _req <<<"$TOOLS"
for t in "${_req[@]}"; do
  case "$t" in wardline|wardline-noapp|ndpi|p0f|tshark) ;; *) die "unknown tool '$t' (wardline,wardline-noapp,ndpi,p0f,tshark)" ;; esac
  for s in "${SKIP[@]+"${SKIP[@]}"}"; do [ "$s" = "$t" ] && continue 2; done
  SEL+=("$t")
done
[ ${#SEL[@]} -gt 0 ] || die "no tool selected"
has() { local t; for t in "${SEL[@]}"; do [ "$t" = "$1" ] && return 0; done; return 1; }
has wardline || { [ "$WITH_4X" = 1 ] && die "--with-4x needs wardline among the tools"; WITH_4X=0; }

# ---------------------------------------------------------------------------------------------
# Prerequisites: install what is missing when root (Debian), otherwise say what to install.
# ---------------------------------------------------------------------------------------------
need_pkgs=()
[ -x /usr/bin/time ] || need_pkgs+=(time)
command -v taskset >/dev/null || need_pkgs+=(util-linux)
command -v fincore >/dev/null || need_pkgs+=(util-linux-extra)
command -v python3 >/dev/null || need_pkgs+=(python3)
has tshark && ! command -v tshark >/dev/null && need_pkgs+=(tshark)
has ndpi && ! command -v ndpiReader >/dev/null && need_pkgs+=(libndpi-bin)
has p0f && ! command -v p0f >/dev/null && ! [ -x /usr/sbin/p0f ] && need_pkgs+=(p0f)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    log "installing ${need_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections || true
    apt-get update -qq
    apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
  else
    die "missing: ${need_pkgs[*]} — install them (Debian: apt-get install ${need_pkgs[*]}) or drop the tool with --skip"
  fi
fi
export PATH="$PATH:/usr/sbin"
nproc_n="$(nproc)"
[ "$CPU" -lt "$nproc_n" ] || die "--cpu $CPU but this machine has $nproc_n cores (0..$((nproc_n - 1)))"

# ---------------------------------------------------------------------------------------------
# wardline release build.
# ---------------------------------------------------------------------------------------------
WARDLINE="${CARGO_TARGET_DIR:-$REPO/target}/release/wardline"
if has wardline || has wardline-noapp; then
  if [ "$BUILD" = 1 ]; then
    log "cargo build --release -p cli"
    (cd "$REPO" && cargo build --release -p cli) || die "cargo build --release -p cli failed (use --skip wardline, or --no-build to use an existing binary)"
  fi
  [ -x "$WARDLINE" ] || die "no wardline binary at $WARDLINE"
fi

# ---------------------------------------------------------------------------------------------
# Captures.
# ---------------------------------------------------------------------------------------------
mkdir -p "$OUT"
CAP1="$OUT/$NAME.pcap"; META1="$OUT/$NAME.json"
CAP4="$OUT/$NAME-4x.pcap"; META4="$OUT/$NAME-4x.json"
[ "$NAME" = capture-1x ] && { CAP4="$OUT/capture-4x.pcap"; META4="$OUT/capture-4x.json"; }

meta() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
capture_ok() {  # file + sidecar present and consistent [and the expected number of copies]
  [ -f "$1" ] && [ -f "$2" ] || return 1
  [ "$(stat -c %s "$1")" = "$(meta "$2" bytes)" ] || return 1
  [ -z "${3:-}" ] || [ "$(meta "$2" copies)" = "$3" ]
}

if [ "$REBUILD_CAPTURE" = 1 ] || ! capture_ok "$CAP1" "$META1"; then
  log "python3 bench/make-capture.py --size-gb $SIZE_GB --out $CAP1"
  python3 "$BENCH/make-capture.py" --corpus "$CORPUS" --size-gb "$SIZE_GB" --out "$CAP1" --meta "$META1"
fi
COPIES1="$(meta "$META1" copies)"
PKTS1="$(meta "$META1" packets)"
BYTES1="$(meta "$META1" bytes)"

if [ "$WITH_4X" != 0 ]; then
  if capture_ok "$CAP4" "$META4" $((COPIES1 * 4)) && [ "$REBUILD_CAPTURE" = 0 ]; then
    :
  else
    need=$((BYTES1 * 4 + (1 << 30)))
    avail="$(df -B1 --output=avail "$OUT" | tail -1 | tr -d ' ')"
    if [ "$avail" -lt "$need" ]; then
      [ "$WITH_4X" = 1 ] && die "--with-4x: needs $((need >> 20)) MiB free in $OUT, have $((avail >> 20)) MiB"
      log "not enough disk for the 4x capture ($((avail >> 20)) MiB free, need $((need >> 20))): skipping it"
      WITH_4X=0
    else
      rm -f "$CAP4" "$META4"
      log "python3 bench/make-capture.py --copies $((COPIES1 * 4)) --out $CAP4"
      python3 "$BENCH/make-capture.py" --corpus "$CORPUS" --copies $((COPIES1 * 4)) --out "$CAP4" --meta "$META4"
    fi
  fi
  [ "$WITH_4X" = 0 ] || WITH_4X=1
fi

# ---------------------------------------------------------------------------------------------
# Commands (stdout of every tool goes to /dev/null).
# ---------------------------------------------------------------------------------------------
TSHARK_FIELDS=(-T fields -e eth.src -e ip.src -e ipv6.src -e dhcp.option.hostname
               -e dhcp.option.vendor_class_id -e dns.qry.name -e dns.a)
cmd_for() {  # tool file -> sets CMD array
  case "$1" in
    wardline) CMD=("$WARDLINE" analyze "$2" --format json --no-progress) ;;
    # The same analysis without the application-layer parsers: what that layer costs.
    wardline-noapp) CMD=("$WARDLINE" analyze "$2" --format json --no-progress --no-app-layer) ;;
    ndpi) CMD=(ndpiReader -i "$2" -q) ;;
    p0f) CMD=(p0f -r "$2") ;;
    tshark) CMD=(tshark -r "$2" "${TSHARK_FIELDS[@]}") ;;
  esac
}
show_cmd() { local s; s="$(printf '%q ' "$@")"; echo "${s% }" | sed "s#$REPO/##g"; }

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
RAW="$TMP/raw.tsv"; : >"$RAW"

# ---------------------------------------------------------------------------------------------
# Warm-up (untimed): page cache, and a check that the tools read the whole capture.
# ---------------------------------------------------------------------------------------------
WARN=()
# Reads FILE whole (untimed) so that it is in the page cache, and prints how much of it is
# resident afterwards, in percent. This machine's page cache is not stable: the VM gives memory
# back to its host and cold cache pages go with it, so a capture read once before the first
# round lost pages by later rounds, and those runs then read them from the disk. Every timed
# run is therefore preceded by this, and the residency is recorded with its timings.
warm() {
  cat "$1" >/dev/null
  local res size
  res="$(fincore --bytes --noheadings --output RES "$1" 2>/dev/null || echo 0)"
  size="$(stat -c %s "$1")"
  python3 -c "print(f'{100 * ${res:-0} / $size:.1f}')"
}
# Drops FILE from the page cache (flushed first; POSIX_FADV_DONTNEED needs no privilege).
# Why: how the cached pages were made changes what mapping them costs. Pages left by the
# capture writer (many small writes) are 4 KiB folios; pages read back by readahead are
# large folios on this kernel (ext4, Linux >= 6.16). wardline maps the file, and mapping and
# unmapping cost per folio: measured on the 1x capture, system time 0.16-0.27 s with the
# writer's pages and 0.03-0.05 s after evicting and reading back; ndpiReader's read(2)
# copies cost the same either way (0.32-0.38 s). Without this step a run measured whichever
# mix the VM's memory reclaim had left (ratios from 2.8x to 3.4x on the same code), so every
# capture starts from a cache filled by reading it, as one on a sensor's disk would be.
evict() {
  python3 -c 'import os,sys
fd = os.open(sys.argv[1], os.O_RDONLY)
os.fsync(fd)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
os.close(fd)' "$1"
}
log "resetting the page cache: evict $CAP1, then cat it > /dev/null"
evict "$CAP1"
warm "$CAP1" >/dev/null
if [ "$WITH_4X" = 1 ]; then evict "$CAP4"; warm "$CAP4" >/dev/null; fi
if has wardline; then
  log "check: wardline counts $PKTS1 packets"
  if "$WARDLINE" analyze "$CAP1" --format json --no-progress >"$TMP/wl.json" 2>"$TMP/wl.err"; then
    got="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["stats"]["packets"])' "$TMP/wl.json" 2>/dev/null || echo '?')"
    [ "$got" = "$PKTS1" ] || WARN+=("wardline reported $got packets, the capture has $PKTS1")
  else
    WARN+=("wardline analyze exited non-zero on the capture: $(tail -1 "$TMP/wl.err")")
  fi
fi
if has ndpi; then
  log "check: ndpiReader (without -q) counts $PKTS1 packets"
  ndpiReader -i "$CAP1" >"$TMP/ndpi.txt" 2>&1 || true
  got="$(sed -n 's/.*of \([0-9]*\) packets total.*/\1/p' "$TMP/ndpi.txt" | head -1)"
  [ "$got" = "$PKTS1" ] || WARN+=("ndpiReader reported ${got:-no} packets total, the capture has $PKTS1")
fi
for w in "${WARN[@]+"${WARN[@]}"}"; do echo "run.sh: WARNING: $w" >&2; done

# ---------------------------------------------------------------------------------------------
# Timed runs, interleaved: for each rep, every tool once (then wardline on 4x).
# ---------------------------------------------------------------------------------------------
LABELS=("${SEL[@]}")
[ "$WITH_4X" = 1 ] && LABELS+=("wardline@4x")
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
for ((rep = 1; rep <= RUNS; rep++)); do
  for label in "${LABELS[@]}"; do
    if [ "$label" = "wardline@4x" ]; then tool=wardline; cap=4x; file="$CAP4"
    else tool="$label"; cap=1x; file="$CAP1"; fi
    cmd_for "$tool" "$file"
    resident="$(warm "$file")"
    t0=$EPOCHREALTIME
    rc=0
    taskset -c "$CPU" /usr/bin/time -v -o "$TMP/time.txt" "${CMD[@]}" >/dev/null 2>"$TMP/err.txt" || rc=$?
    t1=$EPOCHREALTIME
    wall="$(python3 -c "print(f'{$t1 - $t0:.3f}')")"
    rss="$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$TMP/time.txt")"
    user="$(sed -n 's/.*User time (seconds): //p' "$TMP/time.txt")"
    sys="$(sed -n 's/.*System time (seconds): //p' "$TMP/time.txt")"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$cap" "$rep" "$wall" "${rss:-0}" "${user:-0}" "${sys:-0}" "$rc" "$resident" >>"$RAW"
    printf '   run %d/%d  %-12s %-3s %8.3f s  %7.1f MiB  exit %s  (capture %s%% in page cache)\n' "$rep" "$RUNS" "$tool" "$cap" "$wall" "$(( ${rss:-0} / 1024 ))" "$rc" "$resident" >&2
    [ "$rc" = 0 ] || { echo "   (stderr: $(tail -2 "$TMP/err.txt" | tr '\n' ' '))" >&2; }
  done
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------------------------------------
# Report.
# ---------------------------------------------------------------------------------------------
sha="$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo nogit)"
dirty=""
[ -n "$(git -C "$REPO" status --porcelain --untracked-files=no 2>/dev/null | grep -v ' bench/' || true)" ] && dirty=" (working tree had uncommitted changes outside bench/)"
day="$(date -u +%Y-%m-%d)"
if [ "$QUICK" = 1 ]; then RESULT="$OUT/results-quick-$day-$sha.md"
else
  mkdir -p "$BENCH/results"; RESULT="$BENCH/results/$day-$sha.md"
  n=2; while [ -e "$RESULT" ]; do RESULT="$BENCH/results/$day-$sha-$n.md"; n=$((n + 1)); done
fi

ver() {
  case "$1" in
    wardline|wardline-noapp) "$WARDLINE" --version 2>/dev/null | head -1 ;;
    ndpi) echo "ndpiReader $(ndpiReader -h 2>/dev/null | sed -n 's/.*Welcome to nDPI \([^ ]*\).*/\1/p' | head -1) (Debian libndpi-bin $(dpkg-query -W -f='${Version}' libndpi-bin 2>/dev/null))" ;;
    p0f) echo "$(p0f -h 2>&1 | sed -n 's/^--- \(p0f [^ ]*\).*/\1/p' | head -1) (Debian $(dpkg-query -W -f='${Version}' p0f 2>/dev/null))" ;;
    tshark) tshark --version 2>/dev/null | head -1 ;;
  esac
}

{
  echo "# wardline benchmark — $day, commit $sha$dirty"
  echo
  [ "$QUICK" = 1 ] && { echo "**Quick mode (small capture): smoke test, not a measurement.**"; echo; }
  python3 "$BENCH/report.py" "$RAW" "$META1" "$([ "$WITH_4X" = 1 ] && echo "$META4")"
  for w in "${WARN[@]+"${WARN[@]}"}"; do echo "**Warning:** $w"; echo; done
  echo "## Commands"
  echo
  echo "Each run: \`taskset -c $CPU /usr/bin/time -v CMD > /dev/null\`, $RUNS runs per tool,"
  echo "interleaved (${LABELS[*]}, then again), each after an untimed \`cat FILE > /dev/null\` and \`fincore FILE\`; the capture was evicted from the page cache (\`POSIX_FADV_DONTNEED\`) and read back once before the first round, so its cached pages are readahead's, not the capture writer's."
  echo
  echo '```'
  echo "python3 bench/make-capture.py --size-gb $SIZE_GB --out ${CAP1#$REPO/}"
  [ "$WITH_4X" = 1 ] && echo "python3 bench/make-capture.py --copies $((COPIES1 * 4)) --out ${CAP4#$REPO/}"
  for t in "${SEL[@]}"; do cmd_for "$t" "$CAP1"; show_cmd "${CMD[@]}"; done
  [ "$WITH_4X" = 1 ] && { cmd_for wardline "$CAP4"; show_cmd "${CMD[@]}"; }
  echo '```'
  echo
  echo "## Machine"
  echo
  echo "- nproc: $nproc_n; $(lscpu | grep 'Model name' | sed 's/  */ /g'); $(awk '/MemTotal/ {printf "%.1f GiB RAM", $2/1048576}' /proc/meminfo); kernel $(uname -r)"
  echo "- load average before / after: $load_before / $load_after"
  for t in "${SEL[@]}"; do echo "- $(ver "$t")"; done
  echo "- capture sha256: $(meta "$META1" sha256)"
  echo
  echo "Raw timings (tool, capture, run, wall s, max RSS KiB, user s, sys s, exit, % of the capture in the page cache before the run):"
  echo
  echo '```'
  cat "$RAW"
  echo '```'
} >"$RESULT"

echo
cat "$RESULT"
echo
echo "run.sh: results written to ${RESULT#$REPO/}"
