#!/usr/bin/env python3
"""Build the large benchmark capture for bench/run.sh (Python 3 standard library only).

Takes every clean Ethernet-only capture of the corpus (classic pcap and pcapng, as listed
in MANIFEST.tsv), concatenates their packets in path order with monotonic timestamps, and
repeats that sequence ("copies") with a 600 s pause between copies so every flow's idle
timeout expires before the next copy starts. Writes ONE classic pcap (microsecond,
LINKTYPE_ETHERNET, snaplen 262144), streaming, plus a JSON sidecar with the packet and
byte counts that run.sh uses to compute packets/s and Gbit/s.

The output is deterministic: the same corpus and options give the same bytes.
"""

import argparse
import csv
import hashlib
import json
import math
import os
import struct
import sys
import time

SNAPLEN = 262144
LINKTYPE_ETHERNET = 1
# First packet of the capture: 2024-01-01T00:00:00Z.
EPOCH_START_US = 1704067200 * 1_000_000
FILE_GAP_US = 1_000_000  # a file starts 1 s after the previous file's last packet
COPY_GAP_US = 600_000_000  # a copy starts 600 s after the previous copy's last packet
GIB = 1 << 30

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class CaptureError(Exception):
    pass


# ---------------------------------------------------------------------------------------
# Readers. Each yields (timestamp_us, original_length, data) for Ethernet packets only.
# ---------------------------------------------------------------------------------------

def to_us(ts, resol):
    """ts in interface units -> microseconds. resol is ('dec', v) or ('bin', v)."""
    kind, v = resol
    if kind == "dec":
        if v >= 6:
            return ts // (10 ** (v - 6))
        return ts * (10 ** (6 - v))
    return (ts * 1_000_000) >> v


def read_classic_pcap(buf):
    magic = buf[:4]
    table = {
        b"\xd4\xc3\xb2\xa1": ("<", 1_000, 16),  # LE microsecond
        b"\xa1\xb2\xc3\xd4": (">", 1_000, 16),  # BE microsecond
        b"\x4d\x3c\xb2\xa1": ("<", 1, 16),  # LE nanosecond
        b"\xa1\xb2\x3c\x4d": (">", 1, 16),  # BE nanosecond
        b"\x34\xcd\xb2\xa1": ("<", 1_000, 24),  # LE Kuznetzov "modified" pcap
        b"\xa1\xb2\xcd\x34": (">", 1_000, 24),  # BE Kuznetzov "modified" pcap
    }
    if magic not in table or len(buf) < 24:
        raise CaptureError("not a classic pcap")
    endian, ns_per_unit, rec_hdr = table[magic]
    # network field: low 16 bits are the link type (upper bits may carry FCS info).
    linktype = struct.unpack_from(endian + "I", buf, 20)[0] & 0xFFFF
    if linktype != LINKTYPE_ETHERNET:
        raise CaptureError(f"link type {linktype}, not Ethernet")
    hdr = struct.Struct(endian + "IIII")
    off, n = 24, len(buf)
    while off + rec_hdr <= n:
        sec, frac, caplen, origlen = hdr.unpack_from(buf, off)
        off += rec_hdr
        if off + caplen > n:
            break  # truncated final record: keep what came before
        data = buf[off:off + caplen]
        off += caplen
        frac_us = frac if ns_per_unit == 1_000 else frac // 1_000
        yield sec * 1_000_000 + frac_us, origlen, data


def read_pcapng(buf):
    n = len(buf)
    off = 0
    endian = "<"
    ifaces = []  # per section: list of (linktype, snaplen, resol, offset_us)
    while off + 12 <= n:
        btype_raw = buf[off:off + 4]
        if btype_raw == b"\x0a\x0d\x0d\x0a":  # section header: byte order is in it
            bom = buf[off + 8:off + 12]
            if bom == b"\x4d\x3c\x2b\x1a":
                endian = "<"
            elif bom == b"\x1a\x2b\x3c\x4d":
                endian = ">"
            else:
                raise CaptureError("bad pcapng byte-order magic")
            ifaces = []
        btype, blen = struct.unpack_from(endian + "II", buf, off)
        if blen < 12 or blen % 4 or off + blen > n:
            break  # truncated or corrupt: stop at the last good block
        body = off + 8
        end = off + blen - 4
        if btype == 1:  # Interface Description Block
            linktype, _, snaplen = struct.unpack_from(endian + "HHI", buf, body)
            resol = ("dec", 6)
            tsoff = 0
            o = body + 8
            while o + 4 <= end:
                code, olen = struct.unpack_from(endian + "HH", buf, o)
                o += 4
                if code == 0:
                    break
                if code == 9 and olen >= 1:  # if_tsresol
                    v = buf[o]
                    resol = ("bin", v & 0x7F) if v & 0x80 else ("dec", v)
                elif code == 14 and olen >= 8:  # if_tsoffset (seconds)
                    tsoff = struct.unpack_from(endian + "q", buf, o)[0]
                o += (olen + 3) & ~3
            ifaces.append((linktype, snaplen, resol, tsoff * 1_000_000))
        elif btype == 6:  # Enhanced Packet Block
            ifid, hi, lo, caplen, origlen = struct.unpack_from(endian + "IIIII", buf, body)
            start = body + 20
            if ifid < len(ifaces) and start + caplen <= end:
                linktype, _, resol, tsoff = ifaces[ifid]
                if linktype == LINKTYPE_ETHERNET:
                    ts = to_us((hi << 32) | lo, resol) + tsoff
                    yield ts, origlen, buf[start:start + caplen]
        elif btype == 3:  # Simple Packet Block: interface 0, no timestamp
            origlen = struct.unpack_from(endian + "I", buf, body)[0]
            if ifaces and ifaces[0][0] == LINKTYPE_ETHERNET:
                snap = ifaces[0][1] or origlen
                caplen = min(origlen, snap, end - (body + 4))
                yield None, origlen, buf[body + 4:body + 4 + caplen]
        elif btype == 2:  # obsolete Packet Block
            ifid, _drops, hi, lo, caplen, origlen = struct.unpack_from(
                endian + "HHIIII", buf, body)
            start = body + 20
            if ifid < len(ifaces) and start + caplen <= end:
                linktype, _, resol, tsoff = ifaces[ifid]
                if linktype == LINKTYPE_ETHERNET:
                    ts = to_us((hi << 32) | lo, resol) + tsoff
                    yield ts, origlen, buf[start:start + caplen]
        off += blen


def read_capture(path):
    with open(path, "rb") as f:
        buf = f.read()
    if buf[:4] == b"\x0a\x0d\x0d\x0a":
        return list(read_pcapng(buf))
    return list(read_classic_pcap(buf))


# ---------------------------------------------------------------------------------------
# Corpus selection and the base sequence.
# ---------------------------------------------------------------------------------------

def select_rows(corpus):
    manifest = os.path.join(corpus, "MANIFEST.tsv")
    if not os.path.exists(manifest):
        raise SystemExit(f"make-capture: no MANIFEST.tsv in {corpus}")
    with open(manifest, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    keep = []
    for r in rows:
        if r["link_types"] != "1:ether" or r["read_error"].strip():
            continue
        if "_ws.malformed" in r["protocols"] or "_ws.short" in r["protocols"]:
            continue
        if "iot-sentinel" in r["path"]:
            continue
        if r["file_format"] not in ("pcap", "pcapng"):
            continue
        keep.append(r)
    keep.sort(key=lambda r: r["path"])
    return keep


def build_base(corpus, rows, max_gap_us):
    """One pass over the corpus: relative timestamps (from 0) and packet bytes."""
    rel_ts, recs = [], []  # recs: bytes of (caplen, origlen, data) minus the timestamp
    cursor = 0  # relative time of the next file's first packet
    files_used, skipped = 0, []
    caplen_sum = origlen_sum = 0
    for r in rows:
        path = os.path.join(corpus, r["path"])
        try:
            pkts = read_capture(path)
        except (OSError, CaptureError, struct.error) as e:
            skipped.append(f"{r['path']}: {e}")
            continue
        if not pkts:
            skipped.append(f"{r['path']}: no Ethernet packets")
            continue
        files_used += 1
        t = cursor
        prev = None
        for ts, origlen, data in pkts:
            if prev is not None:
                if ts is None:
                    gap = 0
                else:
                    gap = ts - prev
                    gap = 0 if gap < 0 else min(gap, max_gap_us)
                t += gap
            if ts is not None:
                prev = ts
            elif prev is None:
                prev = 0
            if len(data) > SNAPLEN:
                data = data[:SNAPLEN]
            caplen = len(data)
            if origlen < caplen:
                origlen = caplen
            rel_ts.append(t)
            recs.append(struct.pack("<II", caplen, origlen) + data)
            caplen_sum += caplen
            origlen_sum += origlen
        cursor = t + FILE_GAP_US
    span = rel_ts[-1] if rel_ts else 0
    return rel_ts, recs, span, files_used, skipped, caplen_sum, origlen_sum


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default=os.path.join(REPO_ROOT, "..", "shared", "corpus"),
                    help="corpus directory with MANIFEST.tsv (default: ../shared/corpus "
                         "relative to the repository root)")
    ap.add_argument("--out", default=os.path.join(REPO_ROOT, "bench", "out", "capture-1x.pcap"),
                    help="output pcap (default: bench/out/capture-1x.pcap)")
    ap.add_argument("--meta", default=None,
                    help="JSON sidecar (default: the output path with .json)")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--size-gb", type=float, default=1.0,
                   help="target size in GiB (2^30 bytes); whole copies are written until "
                        "the file is at least this big (default 1.0)")
    g.add_argument("--copies", type=int, default=None,
                   help="write exactly this many copies instead of a target size")
    ap.add_argument("--max-gap", type=float, default=10.0,
                    help="cap on any gap between two packets of one file, seconds (default 10)")
    args = ap.parse_args()

    t0 = time.monotonic()
    corpus = os.path.abspath(args.corpus)
    rows = select_rows(corpus)
    rel_ts, recs, span, files_used, skipped, caplen_sum, origlen_sum = build_base(
        corpus, rows, int(args.max_gap * 1_000_000))
    if not recs:
        raise SystemExit("make-capture: no packets selected")
    base_packets = len(recs)
    base_bytes = sum(8 + len(r) for r in recs)  # timestamp (8) + caplen/origlen (8) + data
    t_base = time.monotonic() - t0

    if args.copies is not None:
        copies = max(1, args.copies)
    else:
        target = int(args.size_gb * GIB)
        copies = max(1, math.ceil(max(0, target - 24) / base_bytes))

    out = os.path.abspath(args.out)
    meta_path = args.meta or os.path.splitext(out)[0] + ".json"
    os.makedirs(os.path.dirname(out), exist_ok=True)
    tmp = out + ".tmp"
    sha = hashlib.sha256()
    copy_step = span + COPY_GAP_US  # start of copy k = EPOCH_START + k * copy_step
    ts_struct = struct.Struct("<II")
    written = 0
    with open(tmp, "wb", buffering=8 << 20) as f:
        hdr = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, SNAPLEN, LINKTYPE_ETHERNET)
        f.write(hdr)
        sha.update(hdr)
        written += len(hdr)
        batch = 20000
        for k in range(copies):
            base = EPOCH_START_US + k * copy_step
            for i in range(0, base_packets, batch):
                parts = []
                for t, r in zip(rel_ts[i:i + batch], recs[i:i + batch]):
                    t += base
                    parts.append(ts_struct.pack(t // 1_000_000, t % 1_000_000))
                    parts.append(r)
                chunk = b"".join(parts)
                f.write(chunk)
                sha.update(chunk)
                written += len(chunk)
            if (k + 1) % max(1, copies // 10) == 0 or k + 1 == copies:
                print(f"  copy {k + 1}/{copies}: {written / GIB:.2f} GiB", file=sys.stderr,
                      flush=True)
    os.replace(tmp, out)
    elapsed = time.monotonic() - t0

    last_us = EPOCH_START_US + (copies - 1) * copy_step + span
    meta = {
        "path": out,
        "packets": base_packets * copies,
        "bytes": written,  # file size
        "captured_bytes": caplen_sum * copies,  # sum of captured packet lengths
        "wire_bytes": origlen_sum * copies,  # sum of original packet lengths
        "copies": copies,
        "files": files_used,
        "files_skipped": len(skipped),
        "base_packets": base_packets,
        "base_bytes": base_bytes,
        "copy_span_s": span / 1e6,
        "copy_gap_s": COPY_GAP_US / 1e6,
        "max_intra_file_gap_s": args.max_gap,
        "first_ts": EPOCH_START_US // 1_000_000,
        "last_ts": last_us / 1e6,
        "sha256": sha.hexdigest(),
        "corpus": corpus,
        "build_seconds": round(elapsed, 1),
    }
    with open(meta_path + ".tmp", "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    os.replace(meta_path + ".tmp", meta_path)
    for s in skipped:
        print(f"make-capture: skipped {s}", file=sys.stderr)
    print(f"make-capture: {files_used} files ({len(skipped)} skipped), {base_packets} packets "
          f"per copy, copy span {span / 1e6:.0f} s, read in {t_base:.1f} s")
    print(f"make-capture: wrote {out}: {copies} copies, {meta['packets']} packets, "
          f"{written} bytes ({written / GIB:.2f} GiB), captured bytes {meta['captured_bytes']}, "
          f"in {elapsed:.1f} s")
    print(f"make-capture: sidecar {meta_path}")


if __name__ == "__main__":
    main()
