#!/usr/bin/env bash
# A real router with FAR hosts behind it (1 or 2): namespaces near (one host), rt (a Linux
# router, ip_forward on) and far1..farN on a bridge inside rt. Far hosts ping and open TCP
# connections to the near host; tcpdump captures the near segment from the near host's side.
# Writes OUT/router.pcap. Used by crates/cli/tests/router.rs; needs root (ip netns).
#
#   bash router.sh OUT FAR
set -euo pipefail
OUT=$1
FAR=$2
ID=$$
NEAR=wl-near-$ID
RT=wl-rt-$ID
NS=("$NEAR" "$RT")
cleanup() {
  for ns in "${NS[@]}"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
  done
  sleep 0.2
  for ns in "${NS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
}
trap cleanup EXIT

ip netns add "$NEAR"
ip netns add "$RT"
# Near segment: near host 10.61.0.2/24, router 10.61.0.1.
ip link add "wn$ID" type veth peer name "wr$ID"
# Globally administered MACs (the Xen OUI 00:16:3E), as real NICs have: veths get random,
# locally administered ones, which wardline rightly treats as rotating.
ip link set "wn$ID" address 00:16:3e:61:00:02
ip link set "wr$ID" address 00:16:3e:61:00:01
ip link set "wn$ID" netns "$NEAR"
ip link set "wr$ID" netns "$RT"
ip -n "$NEAR" addr add 10.61.0.2/24 dev "wn$ID"
ip -n "$RT" addr add 10.61.0.1/24 dev "wr$ID"
# Far segment: a bridge in the router's namespace, router 10.62.0.1/24.
ip -n "$RT" link add "br$ID" type bridge
ip -n "$RT" addr add 10.62.0.1/24 dev "br$ID"
for ns in "$NEAR" "$RT"; do ip -n "$ns" link set lo up; done
ip -n "$NEAR" link set "wn$ID" up
ip -n "$RT" link set "wr$ID" up
ip -n "$RT" link set "br$ID" up
ip netns exec "$RT" sysctl -qw net.ipv4.ip_forward=1
ip -n "$NEAR" route add default via 10.61.0.1
for i in $(seq 1 "$FAR"); do
  ns=wl-far$i-$ID
  NS+=("$ns")
  ip netns add "$ns"
  ip link add "wf$i$ID" type veth peer name "wb$i$ID"
  ip link set "wf$i$ID" address "00:16:3e:62:00:0$((i + 1))"
  ip link set "wf$i$ID" netns "$ns"
  ip link set "wb$i$ID" netns "$RT"
  ip -n "$RT" link set "wb$i$ID" master "br$ID"
  ip -n "$RT" link set "wb$i$ID" up
  ip -n "$ns" addr add "10.62.0.$((i + 1))/24" dev "wf$i$ID"
  ip -n "$ns" link set lo up
  ip -n "$ns" link set "wf$i$ID" up
  ip -n "$ns" route add default via 10.62.0.1
done

ip netns exec "$NEAR" tcpdump -i "wn$ID" -U -s 0 -w "$OUT/router.pcap" 2>"$OUT/tcpdump.log" &
sleep 1.5
# A TCP service on the near host; far hosts fetch from it twice.
ip netns exec "$NEAR" python3 -m http.server 8080 --bind 10.61.0.2 >"$OUT/http.log" 2>&1 &
for _ in $(seq 50); do
  ip netns exec "$NEAR" bash -c 'exec 3<>/dev/tcp/10.61.0.2/8080' 2>/dev/null && break
  sleep 0.1
done
for i in $(seq 1 "$FAR"); do
  ns=wl-far$i-$ID
  ip netns exec "$ns" curl -s -o /dev/null "http://10.61.0.2:8080/"
  ip netns exec "$ns" curl -s -o /dev/null "http://10.61.0.2:8080/?again"
done
sleep 1
kill %1 2>/dev/null || true
wait %1 2>/dev/null || true
