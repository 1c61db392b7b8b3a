#!/usr/bin/env python3
"""The engines' share of the side-by-side run without the broker's noise: the side-by-side stream
(tools/bench/side_by_side.py's copies, shifted and re-identified) split into the partitions its
producer would write them to (the same 2 km region key and hash), each partition replayed alone by
`vigil replay` with the shipped config, as that partition's engine sees it in `vigil run`.

Per round and build: the sum of the partitions' `engine_seconds` and whether every partition's alert
file and state digest equal the first build's. Builds run interleaved; paired ratios (build / first
build) and medians are printed, with a JSON summary in OUT_DIR.

Why: per partition the fixed daily work (the hotspot evaluation over each partition's own hot cells)
is paid once per partition, so its share of the end-to-end CPU is larger than in one engine's replay
of the whole city; this measures what `vigil run` pays for it, deterministically in output and with
less noise than an end-to-end run (no broker, no second thread).

  python -m tools.bench.partition_replay --input all.ndjson --copies 3 --partitions 4 --rounds 7 \\
      --out OUT_DIR BASE_VIGIL NEW_VIGIL [MORE_VIGIL ...]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
from pathlib import Path

from tools.bench.side_by_side import hash_key, region_key, stream_file

ROOT = Path(__file__).resolve().parents[2]


def split(stream: Path, out: Path, partitions: int) -> list[Path]:
    """The stream's lines by partition, as side_by_side.produce keys them (written once)."""
    paths = [out / f"{stream.stem}-p{p}-of-{partitions}.ndjson" for p in range(partitions)]
    if all(p.exists() for p in paths):
        return paths
    files = [open(p, "w") for p in paths]
    try:
        for line in open(stream):
            if not line.strip():
                continue
            files[hash_key(region_key(json.loads(line))) % partitions].write(line)
    finally:
        for f in files:
            f.close()
    return paths


def replay(binary: str, config: Path, part: Path, out: Path, name: str) -> tuple[float, str, str]:
    alerts = out / f"{name}.alerts.ndjson"
    summary = out / f"{name}.summary.json"
    subprocess.run([binary, "replay", "--quiet", "--no-final-evaluation", "-c", str(config), "-i", str(part),
                    "-o", str(alerts), "--summary", str(summary)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    s = json.loads(summary.read_text())
    return s["engine_seconds"], s["state_digest"], hashlib.sha256(alerts.read_bytes()).hexdigest()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", required=True, help="canonical incident NDJSON (tools/replay_incidents.py --to-file)")
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--config", default=str(ROOT / "Config" / "vigil.toml"))
    parser.add_argument("--out", required=True)
    parser.add_argument("binaries", nargs="+", help="vigil builds; the first is the reference")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    parts = split(stream_file(args.input, out, args.copies), out, args.partitions)
    rows: list[list[float]] = []
    reference: list[tuple[str, str]] | None = None
    identical = True
    for r in range(args.rounds):
        row = []
        for b, binary in enumerate(args.binaries):
            results = [replay(binary, Path(args.config), p, out, f"b{b}-p{i}") for i, p in enumerate(parts)]
            outputs = [(digest, sha) for _, digest, sha in results]
            if reference is None:
                reference = outputs
            elif outputs != reference:
                identical = False
                print(f"round {r + 1} build {b}: outputs differ from the first build's", file=sys.stderr)
            row.append(sum(seconds for seconds, _, _ in results))
        rows.append(row)
        print(f"round {r + 1}: " + " ".join(f"{s:.3f}" for s in row)
              + "".join(f"  {row[b] / row[0]:.4f}" for b in range(1, len(row))), flush=True)
    result = {
        "parts": [sum(1 for _ in open(p)) for p in parts],
        "engine_seconds_median": [statistics.median(row[b] for row in rows) for b in range(len(args.binaries))],
        "paired_ratio_median": [statistics.median(row[b] / row[0] for row in rows) for b in range(len(args.binaries))],
        "outputs_identical": identical,
        "rounds": rows,
    }
    (out / "partition_replay.json").write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k != "rounds"}))
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
