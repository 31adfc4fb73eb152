#!/usr/bin/env python3
"""Turn bench/run.sh's raw timings (TSV) into the markdown results table.

Usage: report.py RAW.tsv META_1X.json [META_4X.json]
RAW.tsv columns: label, capture (1x|4x), rep, wall_s, rss_kb, user_s, sys_s, exit[, resident_pct]
(resident_pct: how much of the capture was in the page cache just before the run; absent in
raw timings from before it was recorded)
Prints markdown on stdout. Standard library only.
"""

import json
import statistics
import sys

NAMES = {
    "wardline": "wardline analyze",
    "wardline-noapp": "wardline analyze --no-app-layer",
    "ndpi": "ndpiReader",
    "p0f": "p0f",
    "tshark": "tshark (identity fields)",
}


def paired_ratios(wardline_runs, tool_runs):
    """wardline packets/s ÷ tool packets/s, round by round (same capture)."""
    wl = {r["rep"]: r["wall"] for r in wardline_runs}
    return [r["wall"] / wl[r["rep"]] for r in tool_runs if r["rep"] in wl and wl[r["rep"]] > 0]


def main():
    raw, meta1 = sys.argv[1], sys.argv[2]
    meta4 = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None
    metas = {"1x": json.load(open(meta1))}
    if meta4:
        metas["4x"] = json.load(open(meta4))

    runs = {}  # (label, capture) -> list of dicts
    order = []
    for line in open(raw):
        if not line.strip():
            continue
        fields = line.rstrip("\n").split("\t")
        label, cap, rep, wall, rss, user, sys_, rc = fields[:8]
        resident = float(fields[8]) if len(fields) > 8 and fields[8] else None
        key = (label, cap)
        if key not in runs:
            runs[key] = []
            order.append(key)
        runs[key].append({"rep": int(rep), "wall": float(wall), "rss": int(rss), "cpu": float(user) + float(sys_),
                          "rc": int(rc), "resident": resident})

    summary = {}
    for key in order:
        rs = runs[key]
        meta = metas[key[1]]
        med = statistics.median(r["wall"] for r in rs)
        summary[key] = {
            "n": len(rs),
            "median": med,
            "min": min(r["wall"] for r in rs),
            "max": max(r["wall"] for r in rs),
            "cpu": statistics.median(r["cpu"] for r in rs),
            "pps": meta["packets"] / med,
            "gbps": meta["captured_bytes"] * 8 / med / 1e9,
            "rss_mib": max(r["rss"] for r in rs) / 1024,
            "bad_rc": sorted({r["rc"] for r in rs if r["rc"] != 0}),
        }

    wl = summary.get(("wardline", "1x"))
    out = []
    m1 = metas["1x"]
    out.append(f"Capture: `{m1['path'].split('/bench/', 1)[-1]}` — {m1['packets']:,} packets, "
               f"{m1['bytes'] / 2**30:.2f} GiB file, {m1['captured_bytes']:,} captured bytes "
               f"({m1['copies']} copies of {m1['files']} corpus files, {m1['copy_gap_s']:.0f} s "
               f"between copies).")
    out.append("")
    out.append("| tool | capture | runs | median wall s (min–max) | CPU s | packets/s | Gbit/s | "
               "peak RSS MiB | wardline packets/s ÷ tool | same, median of per-round ratios |")
    out.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for key in order:
        s = summary[key]
        label, cap = key
        name = NAMES.get(label, label)
        if s["bad_rc"]:
            name += f" (exit {','.join(map(str, s['bad_rc']))}!)"
        paired = "—"
        if label == "wardline":
            ratio = "—"
        elif wl:
            ratio = f"**{wl['pps'] / s['pps']:.2f}×**"
            pr = paired_ratios(runs[("wardline", "1x")], runs[key])
            if pr:
                paired = f"{statistics.median(pr):.2f}× ({min(pr):.2f}–{max(pr):.2f})"
        else:
            ratio = "n/a"
        out.append(f"| {name} | {cap} | {s['n']} | {s['median']:.3f} ({s['min']:.3f}–{s['max']:.3f}) | "
                   f"{s['cpu']:.2f} | {s['pps'] / 1e6:.3f} M | {s['gbps']:.3f} | "
                   f"{s['rss_mib']:.1f} | {ratio} | {paired} |")
    out.append("")
    out.append("packets/s = capture packets ÷ median wall time; Gbit/s = captured (caplen) bytes × 8 "
               "÷ median wall time; peak RSS = max over the runs (GNU time). Per-round ratio = the "
               "tool's wall time ÷ wardline's in the same round of the interleaving (runs minutes "
               "apart at most), median (min–max) over the rounds.")
    out.append("")

    # Goals of the issue: reported, not asserted.
    goals = []
    nd = summary.get(("ndpi", "1x"))
    if wl and nd:
        r = wl["pps"] / nd["pps"]
        rc = nd["cpu"] / wl["cpu"] if wl["cpu"] > 0 else float("nan")
        pr = statistics.median(paired_ratios(runs[("wardline", "1x")], runs[("ndpi", "1x")]))
        goals.append(f"- wardline vs ndpiReader packets/s on one core: {r:.2f}× by median wall "
                     f"times, {pr:.2f}× by median per-round ratio, {rc:.2f}× by median CPU time "
                     f"(user+sys) (goal ≥ 3×: {'met' if min(r, pr) >= 3 else 'NOT met'})")
    na = summary.get(("wardline-noapp", "1x"))
    if wl and na:
        cost = wl["median"] / na["median"] - 1
        pr = statistics.median(paired_ratios(runs[("wardline-noapp", "1x")], runs[("wardline", "1x")]))
        goals.append(f"- application layer cost: wardline takes {cost * 100:+.1f}% wall time "
                     f"against --no-app-layer by medians ({(pr - 1) * 100:+.1f}% by median "
                     f"per-round ratio; CPU {na['cpu']:.2f} s -> {wl['cpu']:.2f} s)")
    w4 = summary.get(("wardline", "4x"))
    if wl:
        line = f"- wardline peak RSS: {wl['rss_mib']:.1f} MiB on 1×"
        ok = wl["rss_mib"] <= 512
        if w4:
            line += (f", {w4['rss_mib']:.1f} MiB on 4× ({metas['4x']['packets']:,} packets; "
                     f"4×/1× = {w4['rss_mib'] / wl['rss_mib']:.2f}); 4× packets/s "
                     f"{w4['pps'] / 1e6:.3f} M")
            ok = ok and w4["rss_mib"] <= 512
        line += f" (goal ≤ 512 MiB: {'met' if ok else 'NOT met'})"
        goals.append(line)
    residency = [r["resident"] for rs in runs.values() for r in rs if r["resident"] is not None]
    if residency:
        low = min(residency)
        out.append(f"Page cache: each capture was evicted and read back once before the first round (so its "
                   f"cached pages are readahead's large folios, not the capture writer's 4 KiB ones; "
                   f"see bench/README.md), then read whole (untimed) just before every timed run; "
                   f"the least of it resident at the start of a run was {low:.1f}%"
                   + ("." if low >= 99.9 else " (runs below 100% read part of the capture from the "
                      "disk: their times are not comparable)."))
        out.append("")
    if goals:
        out.append("Goals (same run):")
        out.append("")
        out.extend(goals)
        out.append("")
    print("\n".join(out))


if __name__ == "__main__":
    main()
