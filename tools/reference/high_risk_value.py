"""Does a ``high_risk`` alert tell a dispatcher something the default (cluster) alerts do not?

Evidence for the decision in docs/ACCURACY.md ("Alert volume"). From one ``vigil replay`` of the
whole Toronto stream with every alert kind on, over 2015-2021:

* how many high_risk alerts a day the shipped model threshold gives;
* where they are: the share of them in the previous calendar year's busiest 5 % of cells (chronic
  places, what the Gi* hotspot map already shows), against the share of all incidents there;
* whether they point at what the cluster alerts point at: high_risk alerts within 400 m and 72 h
  after a cluster_emerging alert, and cluster_emerging alerts with a high_risk alert within 400 m in
  the 72 h before (early warning).

Usage: python -m tools.reference.high_risk_value --binary .build/release/vigil [--alerts FILE] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from tools.reference import common as C
from tools.vigil_tools.toronto import dataset_path

ROOT = Path(__file__).resolve().parents[2]

HOUR = 3_600_000


def replay_all_kinds(binary: str, out: Path) -> None:
    env = dict(os.environ, VIGIL_ALERTS_KINDS="all")
    cmd = [binary, "replay", "--quiet", "--no-final-evaluation", "--config", str(ROOT / "Config/vigil.toml"), "--output", str(out)]
    for split in ("train", "test"):
        cmd += ["--input", str(dataset_path(split))]
    subprocess.run(cmd, check=True, env=env, stderr=subprocess.DEVNULL)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default=os.environ.get("VIGIL_BINARY", str(ROOT / ".build/release/vigil")))
    ap.add_argument("--alerts", help="alerts NDJSON of such a replay (skips running it)")
    ap.add_argument("--json")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.alerts) if args.alerts else Path(tmp) / "alerts.ndjson"
        if not args.alerts:
            replay_all_kinds(args.binary, path)
        alerts = [json.loads(x) for x in path.read_text().splitlines() if x]
    frame = C.load_frame()
    frame["year"] = pd.to_datetime(frame["t"], unit="ms", utc=True).dt.year
    per_cell_year = frame.groupby(["year", "cx", "cy"]).size()
    busy: dict[int, set[tuple[int, int]]] = {}
    for year, counts in per_cell_year.groupby(level=0):
        threshold = counts.quantile(0.95)
        busy[year] = {(x, y) for (_, x, y), n in counts.items() if n >= threshold}

    def cell(a):
        x, y = a["location"]["cell"][1:].split("y")
        return int(x), int(y)

    def t(a):
        return C.parse_rfc3339_ms(a["event_time"])

    period = [a for a in alerts if "2015" <= a["event_time"][:4] <= "2021"]
    risk = [a for a in period if a["kind"] == "high_risk"]
    clusters = [a for a in period if a["kind"] == "cluster_emerging"]
    days = 2557
    in_busy = np.mean([cell(a) in busy.get(int(a["event_time"][:4]) - 1, set()) for a in risk]) if risk else 0.0
    inc = frame[(frame.year >= 2015) & (frame.year <= 2021)]
    inc_busy = np.mean([(x, y) in busy.get(yr - 1, set()) for x, y, yr in zip(inc.cx, inc.cy, inc.year)])
    rc = np.array([cell(a) for a in risk]) if risk else np.zeros((0, 2))
    rt = np.array([t(a) for a in risk], dtype=np.int64)
    after, before = 0, 0
    for c in clusters:
        cx, cy = cell(c)
        near = np.hypot(rc[:, 0] - cx, rc[:, 1] - cy) * 250 <= 400 if len(rc) else np.zeros(0, bool)
        ct = t(c)
        after += int((near & (rt >= ct) & (rt <= ct + 72 * HOUR)).sum())
        before += int((near & (rt < ct) & (rt >= ct - 72 * HOUR)).any())
    result = {
        "period": "2015-2021 (2,557 days), vigil replay, every alert kind",
        "high_risk_alerts": len(risk),
        "high_risk_per_day": round(len(risk) / days, 2),
        "cluster_emerging_alerts": len(clusters),
        "high_risk_in_last_years_busiest_5pct_cells": round(float(in_busy), 3),
        "all_incidents_in_those_cells": round(float(inc_busy), 3),
        "high_risk_within_400m_72h_after_a_cluster_alert": after,
        "cluster_alerts_with_a_high_risk_alert_400m_72h_before": before,
    }
    for k, v in result.items():
        print(f"{k:55s} {v}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
