#!/usr/bin/env bash
# The console at hospital scale (issue: console and API): a simulated hospital of N devices
# (default 100,000) analysed into a fresh store, `wardline serve` on it, then `oha` (an HTTP
# load generator) against the real HTTPS server: the device and finding lists (first page,
# filtered, sorted) through the API and as pages. Reports p50/p95/p99 latency per endpoint
# and the server's peak RSS; the goal is p95 < 200 ms. Not a test: figures go to
# bench/results/<date>-<sha>-console-scale.md.
#
#   bash bench/console-scale.sh [--devices N] [--duration 15m] [--requests 400]
#                               [--concurrency 4] [--keep] [--no-build]
#
# Needs oha (`cargo install oha`), curl, python3 and GNU time.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEVICES=100000
DURATION=15m
REQUESTS=400
CONCURRENCY=4
KEEP=0
BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --devices) DEVICES="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --requests) REQUESTS="$2"; shift 2 ;;
    --concurrency) CONCURRENCY="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "console-scale.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
command -v oha >/dev/null || { echo "console-scale.sh: needs oha (cargo install oha)" >&2; exit 1; }
command -v curl >/dev/null || { echo "console-scale.sh: needs curl" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "console-scale.sh: needs GNU time (apt-get install -y time)" >&2; exit 1; }
[ "$BUILD" = 1 ] && (cd "$REPO" && cargo build --release -p cli >&2)
WARDLINE="${CARGO_TARGET_DIR:-$REPO/target}/release/wardline"
OUT="$(mktemp -d "$REPO/bench/out/console-XXXXXX")"
if [ "$KEEP" = 1 ]; then echo "files kept in $OUT" >&2; else trap '{ [ -n "${SERVER:-}" ] && pkill -P "$SERVER" 2>/dev/null; } || true; rm -rf "$OUT"' EXIT; fi
export WARDLINE_DB_KEY="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"

echo "console-scale: simulating $DEVICES devices for $DURATION" >&2
"$WARDLINE" sim --devices "$DEVICES" --duration "$DURATION" --seed 1 --no-progress \
  --inject cleartext_credentials --inject unknown_device --out "$OUT/h.pcapng" \
  --truth "$OUT/truth.json" >&2
# The simulated hospital's zones as its network team would configure them (as `wardline demo`
# does): each VLAN with its subnet and kind.
python3 - "$OUT/truth.json" >"$OUT/wardline.toml" <<'PY'
import json, sys
kinds = {"servers": "infrastructure"}
for z in json.load(open(sys.argv[1]))["zones"]:
    print(f'[[zones]]\nname = "{z["name"]}"\nkind = "{kinds.get(z["kind"], z["kind"])}"\n'
          f'vlans = [{z["vlan"]}]\nsubnets = ["{z["subnet"]}"]\n')
PY
rm -f "$OUT/truth.json"
echo "console-scale: analysing into a fresh store" >&2
/usr/bin/time -f "%e %M" -o "$OUT/analyze.time" \
  "$WARDLINE" analyze "$OUT/h.pcapng" --db "$OUT/w.db" --config "$OUT/wardline.toml" \
  --format json --no-progress >/dev/null
rm -f "$OUT/h.pcapng"
PASSWORD="a long passphrase for the load run"
URI="$(printf '%s\n' "$PASSWORD" | "$WARDLINE" users add loadtest --role analyst --db "$OUT/w.db" --password-stdin --enroll-totp | head -1)"
TOKEN="$("$WARDLINE" tokens add loadtest --scope read --db "$OUT/w.db" 2>/dev/null)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
/usr/bin/time -f "%M" -o "$OUT/serve.rss" "$WARDLINE" serve --db "$OUT/w.db" --listen "127.0.0.1:$PORT" 2>"$OUT/serve.log" &
SERVER=$!
for _ in $(seq 100); do curl -sk "https://127.0.0.1:$PORT/login" -o /dev/null && break; sleep 0.2; done
BASE="https://127.0.0.1:$PORT"

# A person's session for the pages: password, then the TOTP code (RFC 6238, computed here).
CODE="$(python3 - "$URI" <<'PY'
import base64, hashlib, hmac, struct, sys, time, urllib.parse
q = urllib.parse.parse_qs(urllib.parse.urlparse(sys.argv[1]).query)
secret = q["secret"][0]
key = base64.b32decode(secret + "=" * (-len(secret) % 8))
digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
o = digest[-1] & 15
print("%06d" % ((struct.unpack(">I", digest[o:o + 4])[0] & 0x7fffffff) % 1000000))
PY
)"
curl -sk -c "$OUT/jar" -H 'content-type: application/json' \
  -d "{\"username\":\"loadtest\",\"password\":\"$PASSWORD\"}" "$BASE/api/v1/session" >/dev/null
curl -sk -b "$OUT/jar" -c "$OUT/jar" -H 'content-type: application/json' \
  -d "{\"code\":\"$CODE\"}" "$BASE/api/v1/session/totp" >/dev/null
COOKIE="wardline_session=$(awk '$6 == "wardline_session" {print $7}' "$OUT/jar" | tail -1)"
TOTAL="$(curl -sk -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/devices?limit=0" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')"
CONVERSATIONS="$(curl -sk -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/conversations?limit=0" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')"
FINDINGS="$(curl -sk -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/findings?limit=0" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')"

# endpoint label | path | auth (token or cookie)
ENDPOINTS=(
  "devices, first page (API)|/api/v1/devices|token"
  "devices sorted by last seen, page 20 (API)|/api/v1/devices?sort=last_seen&offset=1900|token"
  "devices by category (API)|/api/v1/devices?category=infusion_pump|token"
  "devices by text search (API)|/api/v1/devices?q=10.20.|token"
  "findings, first page (API)|/api/v1/findings|token"
  "findings by severity and status (API)|/api/v1/findings?severity=high&status=open|token"
  "device list page|/devices|cookie"
  "device list page, filtered|/devices?category=patient_monitor&vendor=Philips|cookie"
  "findings page|/findings?status=open|cookie"
  "dashboard page|/dashboard|cookie"
  "devices in one zone (API)|/api/v1/devices?zone=icu|token"
  "zones and the zone matrix (API)|/api/v1/zones|token"
  "conversations between two zones (API)|/api/v1/conversations?client_zone=icu&server_zone=datacenter|token"
  "zone map page|/zones|cookie"
)
RESULT_ROWS=()
for e in "${ENDPOINTS[@]}"; do
  IFS='|' read -r label path auth <<<"$e"
  if [ "$auth" = token ]; then H="Authorization: Bearer $TOKEN"; else H="Cookie: $COOKIE"; fi
  status="$(curl -sk -o /dev/null -w '%{http_code}' -H "$H" "$BASE$path")"
  [ "$status" = 200 ] || { echo "console-scale: $path answered $status" >&2; exit 1; }
  oha --no-tui --insecure -n "$REQUESTS" -c "$CONCURRENCY" -H "$H" --output-format json "$BASE$path" >"$OUT/oha.json"
  row="$(python3 - "$OUT/oha.json" "$label" "$path" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
p = r["latencyPercentiles"]
codes = r.get("statusCodeDistribution", {})
ok = codes.get("200", 0)
print(f"| {sys.argv[2]} | `{sys.argv[3]}` | {ok}/{sum(codes.values())} | "
      f"{p['p50'] * 1000:.1f} | {p['p95'] * 1000:.1f} | {p['p99'] * 1000:.1f} | "
      f"{r['summary']['requestsPerSec']:.0f} |")
PY
)"
  echo "$row" >&2
  RESULT_ROWS+=("$row")
done
# GNU time ignores SIGINT while it waits: stop its child, the server, which then exits cleanly.
pkill -INT -P "$SERVER" || true; wait "$SERVER" || true
read -r a_s a_kb < "$OUT/analyze.time"
RSS_KB="$(cat "$OUT/serve.rss")"

SHA="$(cd "$REPO" && git rev-parse --short HEAD)"
RESULT="$REPO/bench/results/$(date -u +%Y-%m-%d)-$SHA-console-scale.md"
{
  echo "# wardline console at scale — $(date -u +%Y-%m-%d), commit $SHA"
  echo
  echo "\`wardline sim --devices $DEVICES --duration $DURATION --seed 1\` analysed into a fresh store ($a_s s, peak RSS $((a_kb / 1024)) MiB): $TOTAL devices, $FINDINGS findings, $CONVERSATIONS conversations, the hospital's VLANs configured as zones. \`wardline serve\` on it (release build, the self-signed certificate), then for each endpoint \`oha -n $REQUESTS -c $CONCURRENCY\` over HTTPS with a read-scoped API token (API) or a signed-in analyst's session cookie (pages). Latencies in milliseconds, client side; the first request of each endpoint's run opens the TLS connections."
  echo
  echo "| endpoint | path | 200s | p50 ms | p95 ms | p99 ms | requests/s |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
  printf '%s\n' "${RESULT_ROWS[@]}"
  echo
  echo "Server peak RSS over all runs: $((RSS_KB / 1024)) MiB (GNU time). Goal: p95 < 200 ms on every list."
  echo
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); oha $(oha --version | awk '{print $2}')."
} >"$RESULT"
cat "$RESULT"
echo "console-scale.sh: results written to ${RESULT#$REPO/}" >&2
