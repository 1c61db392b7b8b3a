"""Planted-episode evaluation end to end: plant (per seed) -> ``vigil replay`` -> score, pooled.

For each seed, ``reference.plant_episodes`` writes a stream (real Toronto
history + planted episodes in the planting period) and its truth;
``vigil replay --input STREAM --config CONFIG --output ALERTS`` replays it;
``reference.score_episodes`` scores all seeds together.  The full held-out
run (seeds 1-10, the whole of 2021, all earlier history kept) is the figure
for docs/ACCURACY.md; tools/test.sh runs a small version
(``reference/tests/test_episodes.py``, seeds 101 and 102).

CLI (from ``tools/``; ``VIGIL_BINARY`` or ``--binary`` names the vigil executable)::

    python -m tools.reference.run_episodes --seeds 1-10 --workdir /tmp/episodes \\
        [--config Config/vigil.toml] [--json score.json] [--check]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tools.vigil_tools.ndjson import iter_ndjson

from .plant_episodes import PlantParams, add_arguments, params_from_args, period_of, plant_episodes, write_stream
from .plant_surges import day_start_ms, load_records
from .score_episodes import report, score_runs

ROOT = Path(__file__).resolve().parents[2]


def parse_seeds(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        if "-" in part.strip()[1:]:
            a, b = part.split("-", 1)
            out += list(range(int(a), int(b) + 1))
        elif part.strip():
            out.append(int(part))
    return out


def replay(binary: str, stream: Path, config: Path, alerts: Path, summary: Path,
           extra: Sequence[str] = ()) -> dict[str, Any]:
    """Run ``vigil replay``; return its summary JSON (raises with stderr on failure)."""
    cmd = [binary, "replay", "--input", str(stream), "--config", str(config), "--output", str(alerts),
           "--summary", str(summary), "--quiet", *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-4000:]}")
    with open(summary, encoding="utf-8") as f:
        return json.load(f)


def run(seeds: Sequence[int], workdir: Path, binary: str, config: Path, *, period: tuple[int, int],
        history_from: int | None, params: PlantParams, records: list | None = None,
        log=print) -> dict[str, Any]:
    """Plant, replay and score every seed; the pooled score (with per-seed summaries)."""
    workdir.mkdir(parents=True, exist_ok=True)
    if records is None:
        records = load_records([])
    runs = []
    per_seed = []
    for seed in seeds:
        t0 = time.monotonic()
        stream, truth = plant_episodes(records, seed=seed, period=period, history_from=history_from, params=params)
        sp, tp = workdir / f"stream-{seed}.ndjson", workdir / f"truth-{seed}.json"
        ap, mp = workdir / f"alerts-{seed}.ndjson", workdir / f"summary-{seed}.json"
        write_stream(stream, sp)
        with open(tp, "w", encoding="utf-8") as f:
            json.dump(truth, f, indent=1)
        t1 = time.monotonic()
        summ = replay(binary, sp, config, ap, mp)
        t2 = time.monotonic()
        log(f"seed {seed}: planted {truth['stream']['planted']} rows in {len(truth['episodes'])} episodes "
            f"({t1 - t0:.0f} s); replay {summ.get('incidents')} incidents, {summ.get('alerts')} alerts ({t2 - t1:.0f} s)")
        runs.append((truth, list(iter_ndjson(ap))))
        per_seed.append({"seed": seed, "replay_summary": summ})
    res = score_runs(runs)
    res["per_seed"] = per_seed
    res["config"] = str(config)
    return res


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.reference.run_episodes", description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", default="1-10", help="e.g. 1-10 or 1,2,5 (default 1-10: the held-out seeds)")
    p.add_argument("--workdir", required=True, type=Path)
    p.add_argument("--binary", default=os.environ.get("VIGIL_BINARY"), help="vigil executable (default $VIGIL_BINARY)")
    p.add_argument("--config", type=Path, default=ROOT / "Config" / "vigil.toml")
    p.add_argument("--json", help="write the pooled result here")
    p.add_argument("--check", action="store_true", help="exit 1 unless the issue's acceptance levels hold")
    add_arguments(p)
    args = p.parse_args(argv)
    if not args.binary:
        p.error("give --binary or set VIGIL_BINARY")
    res = run(parse_seeds(args.seeds), args.workdir, args.binary, args.config,
              period=period_of(args.year, args.period_from, args.period_to),
              history_from=day_start_ms(args.history_from) if args.history_from else None,
              params=params_from_args(args), records=load_records(args.input))
    return report(res, args.json, args.check)


if __name__ == "__main__":
    sys.exit(main())
