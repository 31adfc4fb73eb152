#!/usr/bin/env bash
# Real peers on a real network: two network namespaces joined by a veth pair, servers in one,
# clients in the other, tcpdump on the server side. Writes OUT/peers.pcap and prints nothing
# secret. Used by crates/cli/tests/real_peers.rs; needs root (ip netns) and the packages that
# .ci/run installs. Every value below is invented for the test.
set -euo pipefail
OUT=$1
HERE=$(cd "$(dirname "$0")" && pwd)
ID=$$
NS_S=wl-srv-$ID
NS_C=wl-cli-$ID
VS=wls$ID
VC=wlc$ID
S="ip netns exec $NS_S"
C="ip netns exec $NS_C"
PIDS=()

cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  sleep 0.2
  ip netns pids "$NS_S" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns pids "$NS_C" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns del "$NS_S" 2>/dev/null || true
  ip netns del "$NS_C" 2>/dev/null || true
}
trap cleanup EXIT

ip netns add "$NS_S"
ip netns add "$NS_C"
ip link add "$VS" type veth peer name "$VC"
ip link set "$VS" netns "$NS_S"
ip link set "$VC" netns "$NS_C"
ip -n "$NS_S" addr add 10.77.0.1/24 dev "$VS"
ip -n "$NS_C" addr add 10.77.0.2/24 dev "$VC"
for ns in "$NS_S" "$NS_C"; do ip -n "$ns" link set lo up; done
ip -n "$NS_S" link set "$VS" up
ip -n "$NS_C" link set "$VC" up

$S tcpdump -i "$VS" -U -s 0 -w "$OUT/peers.pcap" 2>"$OUT/tcpdump.log" &
PIDS+=($!)
sleep 1.5

wait_port() { # ns-prefix host port
  for _ in $(seq 50); do
    if $1 bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "server on $2:$3 did not start" >&2
  return 1
}

# --- LLDP: lldpd announces the client host on its veth.
mkdir -p "$OUT/lldpd"
$C lldpd -d -I "$VC" -S "wardline test client" -u "$OUT/lldpd/c.sock" >"$OUT/lldpd/c.log" 2>&1 &
PIDS+=($!)

# --- DICOM: dcmtk storescp (PACS) and storescu/echoscu (a CT), object built with dump2dcm.
mkdir -p "$OUT/dicom/in"
cat >"$OUT/dicom/ct.dump" <<'DUMP'
(0008,0016) UI =CTImageStorage
(0008,0018) UI [1.2.826.0.1.3680043.8.498.10001]
(0008,0060) CS [CT]
(0008,0070) LO [ACME Medical Systems]
(0008,0080) LO [General Hospital]
(0008,1010) SH [CT01]
(0008,1040) LO [Radiology]
(0008,1090) LO [Scanner 9000]
(0010,0010) PN [DOE^JANE]
(0010,0020) LO [PID12345]
(0010,0030) DA [19800101]
(0010,0040) CS [F]
(0018,1000) LO [SN-4711]
(0018,1020) LO [VA20B]
(0020,000d) UI [1.2.826.0.1.3680043.8.498.10002]
(0020,000e) UI [1.2.826.0.1.3680043.8.498.10003]
DUMP
dump2dcm --write-xfer-little "$OUT/dicom/ct.dump" "$OUT/dicom/ct.dcm"
$S storescp --aetitle PACS --output-directory "$OUT/dicom/in" 11112 >"$OUT/dicom/scp.log" 2>&1 &
PIDS+=($!)
wait_port "$C" 10.77.0.1 11112
$C echoscu -aet MODALITY1 -aec PACS 10.77.0.1 11112
$C storescu -aet CT01_SCU -aec PACS 10.77.0.1 11112 "$OUT/dicom/ct.dcm"

# --- HL7 v2 over MLLP: python-hl7's mllp_send to an hl7apy MLLPServer.
$S python3 "$HERE/hl7_receiver.py" 10.77.0.1 2575 >"$OUT/hl7.log" 2>&1 &
PIDS+=($!)
wait_port "$C" 10.77.0.1 2575
printf '\x0bMSH|^~\\&|MONITOR_GW|ICU|HL7_ENGINE|GENERAL_HOSPITAL|20261202120000||ORU^R01^ORU_R01|MSG0001|P|2.5.1\rPID|1||MRN0001234^^^HOSP^MR||DOE^JANE||19800101|F\rOBR|1|||8867-4^Heart rate^LN\rOBX|1|NM|8867-4^Heart rate^LN||72|/min|||||F|||20261202120000||||MONITOR-17\r\x1c\r' >"$OUT/oru.hl7"
printf '\x0bMSH|^~\\&|ADT_APP|ADMISSIONS|HL7_ENGINE|GENERAL_HOSPITAL|20261202120100||ADT^A01|MSG0002|P|2.5.1\rEVN|A01|20261202120100\rPID|1||MRN0001234^^^HOSP^MR||DOE^JANE||19800101|F\rPV1|1|I|ICU^01^01\r\x1c\r' >"$OUT/adt.hl7"
$C mllp_send -q --port 2575 --file "$OUT/oru.hl7" 10.77.0.1 >/dev/null
$C mllp_send -q --port 2575 --file "$OUT/adt.hl7" 10.77.0.1 >/dev/null

# --- TLS: openssl s_server/s_client with SNI; an expired self-signed certificate, and a
# server and client speaking only TLS 1.0.
openssl req -newkey rsa:2048 -nodes -keyout "$OUT/expired.key" -subj /CN=expired.pacs.test \
  -out "$OUT/expired.csr" 2>/dev/null
openssl x509 -req -in "$OUT/expired.csr" -signkey "$OUT/expired.key" -days -1 \
  -out "$OUT/expired.pem" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$OUT/old.key" -subj /CN=old.pumps.test \
  -days 30 -out "$OUT/old.pem" 2>/dev/null
# TLS 1.2: a TLS 1.3 server encrypts its certificate, and the point is to see it.
$S openssl s_server -accept 10.77.0.1:4433 -cert "$OUT/expired.pem" -key "$OUT/expired.key" \
  -no_tls1_3 -quiet >/dev/null 2>&1 &
PIDS+=($!)
$S openssl s_server -accept 10.77.0.1:4434 -cert "$OUT/old.pem" -key "$OUT/old.key" \
  -tls1 -cipher 'DEFAULT@SECLEVEL=0' -quiet >/dev/null 2>&1 &
PIDS+=($!)
# No wait_port here: a probe connection would be a TLS flow without a handshake.
sleep 1
echo Q | $C openssl s_client -connect 10.77.0.1:4433 -servername pacs.hospital.test \
  -verify_return_error -quiet >/dev/null 2>&1 || true
sleep 0.3
echo Q | $C openssl s_client -connect 10.77.0.1:4434 -servername pumps.hospital.test -tls1 \
  -cipher 'DEFAULT@SECLEVEL=0' >/dev/null 2>&1 || true

# --- MQTT: mosquitto with a password file; mosquitto_pub logs in.
mkdir -p "$OUT/mqtt"
mosquitto_passwd -b -c "$OUT/mqtt/passwd" nurse 'Pump$ecret'
chmod 0600 "$OUT/mqtt/passwd"
cat >"$OUT/mqtt/mosquitto.conf" <<CONF
listener 1883 10.77.0.1
# Run as root is refused a root-only password file once privileges are dropped: keep them.
user root
allow_anonymous false
password_file $OUT/mqtt/passwd
CONF
$S mosquitto -c "$OUT/mqtt/mosquitto.conf" >"$OUT/mqtt/log" 2>&1 &
PIDS+=($!)
wait_port "$C" 10.77.0.1 1883
$C mosquitto_pub -h 10.77.0.1 -u nurse -P 'Pump$ecret' -i pump-17-icu -t ward3/pump17/rate -m 42

# --- HTTP: curl with Basic auth posting a FHIR Patient (invented) to a Python HTTP server.
$S python3 -m http.server 8080 --bind 10.77.0.1 >"$OUT/http.log" 2>&1 &
PIDS+=($!)
wait_port "$C" 10.77.0.1 8080
$C curl -s -o /dev/null -u 'nurse:Secret123!' -H 'Content-Type: application/fhir+json' \
  -A 'ACME-PumpGateway/2.4' \
  --data '{"resourceType":"Patient","name":[{"family":"DOE","given":["JANE"]}],"birthDate":"1980-01-01"}' \
  http://10.77.0.1:8080/fhir/Patient || true

# --- SNMP: net-snmp snmpd with a community, snmpget from the client.
cat >"$OUT/snmpd.conf" <<CONF
agentAddress udp:10.77.0.1:161
rocommunity s3cr3tComm 10.77.0.0/24
sysDescr ACME Infusion Gateway 2.4.1
sysName pump-gw-01
CONF
$S snmpd -f -Lo -C -c "$OUT/snmpd.conf" >"$OUT/snmpd.log" 2>&1 &
PIDS+=($!)
sleep 1
$C snmpget -v2c -c s3cr3tComm -r 2 -t 1 10.77.0.1 1.3.6.1.2.1.1.1.0 1.3.6.1.2.1.1.5.0 \
  1.3.6.1.2.1.1.2.0 >/dev/null

# Let lldpd's first announcements and the last packets reach tcpdump, then stop it cleanly.
sleep 2
kill -INT "${PIDS[0]}"
wait "${PIDS[0]}" 2>/dev/null || true
PIDS[0]=""
echo "captured $(stat -c %s "$OUT/peers.pcap") bytes"
