"""Does a ``high_risk`` alert tell a dispatcher something the default alerts do not?

Evidence for the decision in docs/ACCURACY.md ("Alert volume"): on the model's evaluation years
(2020-2021), the incidents the shipped model flags (score >= model.threshold) are compared with

* the chronic-place map: the same number of incidents picked by their 3x3 block's 28-day count
  alone (``nbr_28d``, no model), and whether the flagged incidents sit in Gi* hot cells;
* the cluster alerts: how many flagged incidents fall within 400 m and 72 h after a cluster alert.

Precision is the near-repeat label (another incident within 250 m in the next 72 h). Features and
labels come from ``vigil features`` and scores from ``vigil score`` (the same Swift code that serves).

Usage: python -m tools.reference.high_risk_value --binary .build/release/vigil [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
from vigil_tools.toronto import dataset_path  # noqa: E402

START_MS = 1577836800000  # 2020-01-01T00:00:00Z
END_MS = 1640995200000  # 2022-01-01T00:00:00Z


def run(cmd: list[str], env: dict[str, str] | None = None) -> None:
    subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL, env=env)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default=os.environ.get("VIGIL_BINARY", str(ROOT / ".build/release/vigil")))
    ap.add_argument("--threshold", type=float, default=0.745)
    ap.add_argument("--json")
    args = ap.parse_args()
    inputs = []
    for split in ("train", "test"):
        inputs += ["--input", str(dataset_path(split))]
    config = str(ROOT / "Config/vigil.toml")
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        run([args.binary, "features", "--quiet", "--config", config, "--output", str(t / "f.csv"), *inputs])
        run([args.binary, "score", "--model", str(ROOT / "Config/models/near-repeat-xgboost.json"),
             "--input", str(t / "f.csv"), "--output", str(t / "s.txt")])
        run([args.binary, "replay", "--quiet", "--no-final-evaluation", "--config", config,
             "--output", str(t / "alerts.ndjson"), *inputs])
        cols = ["id", "event_time_ms", "label", "censored", "cell_x", "cell_y", "nbr_28d", "cell_28d", "hot_cell", "hot_cells_nbr"]
        f = pd.read_csv(t / "f.csv", usecols=cols)
        f["score"] = np.loadtxt(t / "s.txt")
        alerts = [json.loads(x) for x in (t / "alerts.ndjson").read_text().splitlines() if x]
    f = f[(f.event_time_ms >= START_MS) & (f.event_time_ms < END_MS) & (f.censored == 0)].reset_index(drop=True)
    days = (END_MS - START_MS) / 86_400_000
    flagged = f[f.score >= args.threshold]
    n = len(flagged)
    # The chronic map at the same volume: the n incidents with the busiest 3x3 blocks (ties by cell count).
    chronic = f.sort_values(["nbr_28d", "cell_28d"], ascending=False, kind="mergesort").head(n)
    block_top5 = f.nbr_28d >= f.nbr_28d.quantile(0.95)
    clusters = [a for a in alerts if a["kind"] == "cluster_emerging"]
    cx = np.array([int(a["location"]["cell"][1:].split("y")[0]) for a in clusters])
    cy = np.array([int(a["location"]["cell"].split("y")[1]) for a in clusters])
    ct = np.array([pd.Timestamp(a["event_time"]).value // 10**6 for a in clusters])

    def near_cluster(row) -> bool:
        if len(ct) == 0:
            return False
        close = (np.hypot(cx - row.cell_x, cy - row.cell_y) * 250 <= 400) & (row.event_time_ms >= ct) & (row.event_time_ms <= ct + 72 * 3_600_000)
        return bool(close.any())

    result = {
        "period": "2020-01-01 .. 2021-12-31 (uncensored rows)",
        "incidents": int(len(f)),
        "base_rate": round(float(f.label.mean()), 4),
        "high_risk_alerts": n,
        "high_risk_per_day": round(n / days, 2),
        "high_risk_precision": round(float(flagged.label.mean()), 4),
        "chronic_map_same_volume_precision": round(float(chronic.label.mean()), 4),
        "high_risk_in_or_next_to_gi_hot_cells": round(float(((flagged.hot_cell > 0) | (flagged.hot_cells_nbr > 0)).mean()), 4),
        "high_risk_in_top5pct_busiest_blocks": round(float(block_top5[flagged.index].mean()), 4),
        "high_risk_also_picked_by_chronic_map": round(len(set(flagged.id) & set(chronic.id)) / max(1, n), 4),
        "cluster_emerging_alerts": len([a for a in clusters if START_MS <= pd.Timestamp(a["event_time"]).value // 10**6 < END_MS]),
        "high_risk_within_400m_72h_after_a_cluster_alert": int(sum(near_cluster(r) for r in flagged.itertuples())),
    }
    for k, v in result.items():
        print(f"{k:52s} {v}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
