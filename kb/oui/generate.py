#!/usr/bin/env python3
"""Generate kb/oui/oui.tsv, wardline's MAC-vendor table, from the IEEE registry listings.

Input: the CSV listings shipped by Debian's `ieee-data` package (IEEE Registration Authority
public data): oui.csv (MA-L, 24-bit), mam.csv (MA-M, 28-bit), oui36.csv (MA-S, 36-bit) and
iab.csv (IAB, 36-bit, the predecessor of MA-S).

Output: one assignment per line, `<prefix hex>\t<prefix bits>\t<registry>\t<organization>`,
sorted by prefix text so that sub-assignments follow the block they were carved from, under a
`#` header that records the source package version, each CSV's date and sha256, the generation
date, the command to regenerate and the IEEE terms.

Normalisation, each for a reason found in the 20220827 listings:
- organization names: all runs of whitespace (tabs, no-break and en spaces, newlines inside
  quoted fields) become one space, and leading/trailing whitespace is dropped, so the TSV stays
  one record per line and names compare equal; capitalization is kept as published.
- duplicates: the same prefix listed twice with the same name is kept once; the same prefix
  listed with different names (MA-L 08:00:30 has three holders, 00:01:C8 two) becomes one line
  whose names are sorted and joined with " | " (no published name contains "|").
- "Private" entries are kept: they are real assignments whose holder asked not to be listed.

Python 3 standard library only. Run from the repository root:

    python3 kb/oui/generate.py [--source-dir /usr/share/ieee-data] [--output kb/oui/oui.tsv]

SOURCE_DATE_EPOCH, if set, fixes the generation date (reproducible builds convention).
"""

import argparse
import csv
import datetime
import hashlib
import os
import subprocess
import sys

# (file name, registry name as written in the CSV's first column, prefix length in bits)
SOURCES = [
    ("oui.csv", "MA-L", 24),
    ("mam.csv", "MA-M", 28),
    ("oui36.csv", "MA-S", 36),
    ("iab.csv", "IAB", 36),
]

EXPECTED_HEADER = ["Registry", "Assignment", "Organization Name", "Organization Address"]
NAME_SEPARATOR = " | "
UNNAMED = "(no name in registry)"
# CONVENTIONS.md §9: no file over 5 MiB in the repository.
MAX_OUTPUT_BYTES = 5 * 1024 * 1024
REGENERATE = "python3 kb/oui/generate.py  (from the repository root, Debian package ieee-data installed)"


def normalize(text):
    """Collapse every run of (Unicode) whitespace to one space and trim the ends."""
    return " ".join(text.split())


def package_version(package):
    try:
        out = subprocess.run(
            ["dpkg-query", "-W", "-f", "${Version}", package],
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.CalledProcessError):
        return "unknown (dpkg-query failed)"


def utc_date(epoch):
    return datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc).strftime("%Y-%m-%d")


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def read_listing(path, registry, bits, warnings):
    """Yield (prefix hex, organization) for every row of one IEEE CSV listing."""
    digits = bits // 4
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header != EXPECTED_HEADER:
            sys.exit(f"{path}: unexpected header {header!r}, expected {EXPECTED_HEADER!r}")
        for row in reader:
            where = f"{path}:{reader.line_num}"
            if len(row) < 3:
                sys.exit(f"{where}: expected 4 columns, got {row!r}")
            if row[0] != registry:
                sys.exit(f"{where}: registry {row[0]!r}, expected {registry!r}")
            prefix = row[1].strip().upper()
            if len(prefix) != digits or any(c not in "0123456789ABCDEF" for c in prefix):
                sys.exit(f"{where}: assignment {row[1]!r} is not {digits} hex digits")
            name = normalize(row[2])
            if not name:
                warnings.append(f"{where}: {registry} {prefix} has no organization name")
                name = UNNAMED
            yield prefix, name


def build(source_dir):
    """Return (entries, file facts, counts, warnings); entries maps (prefix, bits) to data."""
    entries = {}  # (prefix hex, bits) -> {"registry": str, "names": [str]}
    files = []
    raw_rows = {}
    warnings = []
    for file_name, registry, bits in SOURCES:
        path = os.path.join(source_dir, file_name)
        rows = 0
        for prefix, name in read_listing(path, registry, bits, warnings):
            rows += 1
            key = (prefix, bits)
            entry = entries.setdefault(key, {"registry": registry, "names": []})
            if entry["registry"] != registry:
                # MA-S and IAB share the 36-bit space; IEEE never assigns one prefix twice.
                sys.exit(f"{path}: {prefix}/{bits} is in both {entry['registry']} and {registry}")
            if name not in entry["names"]:
                entry["names"].append(name)
        raw_rows[registry] = rows
        files.append(
            {
                "path": path,
                "registry": registry,
                "bits": bits,
                "modified": utc_date(os.stat(path).st_mtime),
                "sha256": sha256_of(path),
                "rows": rows,
            }
        )
    return entries, files, raw_rows, warnings


def snapshot_date(source_dir):
    """The date Debian fetched the listings from IEEE (ieee-data's .lastupdate, epoch seconds)."""
    try:
        with open(os.path.join(source_dir, ".lastupdate"), encoding="ascii") as f:
            return utc_date(int(f.read().strip()))
    except (OSError, ValueError):
        return "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source-dir", default="/usr/share/ieee-data")
    parser.add_argument(
        "--output", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "oui.tsv")
    )
    args = parser.parse_args()

    entries, files, raw_rows, warnings = build(args.source_dir)

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    generated = utc_date(int(epoch)) if epoch else utc_date(datetime.datetime.now().timestamp())

    counts = {registry: 0 for _, registry, _ in SOURCES}
    merged = []
    lines = []
    for prefix, bits in sorted(entries):
        entry = entries[(prefix, bits)]
        names = sorted(entry["names"], key=lambda n: (n.casefold(), n))
        if len(names) > 1:
            merged.append(f"{prefix}/{bits}")
        counts[entry["registry"]] += 1
        lines.append(f"{prefix}\t{bits}\t{entry['registry']}\t{NAME_SEPARATOR.join(names)}\n")

    version = package_version("ieee-data")
    header = [
        "wardline MAC-vendor table: IEEE MA-L / MA-M / MA-S / IAB assignments. GENERATED, do not edit.",
        "format: <prefix hex>\\t<prefix bits>\\t<registry>\\t<organization>, one assignment per line,",
        "  sorted by prefix text (sub-assignments follow the block they were carved from).",
        f"source: IEEE Registration Authority public listings, Debian package ieee-data {version}"
        f" (fetched from IEEE {snapshot_date(args.source_dir)})",
    ]
    for f in files:
        header.append(
            f"source-file: {f['path']} ({f['registry']}, {f['bits']}-bit) rows {f['rows']}"
            f" modified {f['modified']} sha256 {f['sha256']}"
        )
    header += [
        f"generated: {generated}",
        f"regenerate: {REGENERATE}",
        "terms: IEEE registry public data. IEEE does not assert copyright in the public listings",
        "  and does not restrict their distribution; it asks users to obtain the listings from",
        "  IEEE and update them regularly (https://standards.ieee.org/products-programs/regauth/).",
        "normalized: whitespace runs in names collapsed to one space; capitalization as published;",
        "  'Private' assignments kept; repeated (prefix, name) rows kept once; a prefix listed with",
        f"  several names is one line with the names sorted and joined by '{NAME_SEPARATOR}'"
        f" ({', '.join(merged) if merged else 'none in this snapshot'}).",
        "entries: " + ", ".join(f"{registry} {count}" for registry, count in counts.items())
        + f", total {sum(counts.values())}"
        + " (CSV rows: " + ", ".join(f"{r} {n}" for r, n in raw_rows.items()) + ")",
    ]

    text = "".join(f"# {line}\n" for line in header) + "".join(lines)
    data = text.encode("utf-8")
    if len(data) > MAX_OUTPUT_BYTES:
        sys.exit(f"output would be {len(data)} bytes, over the {MAX_OUTPUT_BYTES}-byte repository limit")

    tmp = args.output + ".tmp"
    with open(tmp, "wb") as out:
        out.write(data)
    os.replace(tmp, args.output)

    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(
        f"wrote {args.output}: {len(data)} bytes, "
        + ", ".join(f"{registry} {count}" for registry, count in counts.items())
        + f"; merged duplicate prefixes: {', '.join(merged) or 'none'}"
    )


if __name__ == "__main__":
    main()
