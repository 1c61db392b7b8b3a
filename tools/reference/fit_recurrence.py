"""Calibrate the cluster scan's recurrence interval on the real Toronto stream.

The recurrence interval (RI) of an alert is the expected time between chance alerts at least that
strong anywhere in the city. Vigil maps the scan's statistic (its surprise, docs/CLUSTERS.md) to days with
RI = exp(a + b * surprise) (``clusters.calibration = [a, b]``). This script fits (a, b) so that, on the
unmodified history, ``cluster_emerging`` alerts with ``alerts.min_recurrence = R`` come at one per R
days:

1. For a grid of surprise thresholds L it replays the training years with calibration [ln 365 - L, 1]
   and min_recurrence = 365 days (so the threshold is exactly L) and counts cluster_emerging alerts.
2. It fits log(days per alert) = a + b L by least squares over the levels with >= 3 alerts.
3. It checks the fit with the fitted calibration at R in {30, 100, 365} days on the held-out years and
   on 2015-2021, reporting observed vs expected alerts and their ratio (the goal: within a factor 2).

Usage: python -m tools.reference.fit_recurrence --binary .build/release/vigil [--json out.json]
(run from the repository root; the Toronto data comes from the venv's package).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from tools.vigil_tools.toronto import dataset_path

ROOT = Path(__file__).resolve().parents[2]


def day_ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def replay(binary: str, calibration: tuple[float, float], min_days: float, workdir: Path) -> list[dict]:
    """cluster_emerging alerts of a replay of the whole stream with the scan only."""
    out = workdir / "alerts.ndjson"
    seconds = max(86_400, int(round(min_days * 86_400)))
    env = dict(os.environ)
    env.update({
        "VIGIL_CLUSTERS_CALIBRATION": f"{calibration[0]!r},{calibration[1]!r}",
        "VIGIL_ALERTS_MIN_RECURRENCE": f"{seconds}s",
        "VIGIL_ALERTS_KINDS": "cluster_emerging",
        "VIGIL_HOTSPOTS_ENABLED": "false",
        "VIGIL_RULES_COUNT_ENABLED": "false",
        "VIGIL_RULES_SURGE_ENABLED": "false",
        "VIGIL_MODEL_PATH": "",
    })
    cmd = [binary, "replay", "--quiet", "--no-final-evaluation", "--config", str(ROOT / "Config/vigil.toml"),
           "--output", str(out)]
    for split in ("train", "test"):
        cmd += ["--input", str(dataset_path(split))]
    subprocess.run(cmd, check=True, env=env, stderr=subprocess.DEVNULL)
    alerts = [json.loads(line) for line in out.read_text().splitlines() if line]
    return [a for a in alerts if a["kind"] == "cluster_emerging"]


def count_between(alerts: list[dict], start: str, end: str) -> int:
    lo, hi = start, end
    return sum(1 for a in alerts if lo <= a["event_time"][:10] < hi)


def days_between(start: str, end: str) -> float:
    return (day_ms(end) - day_ms(start)) / 86_400_000


def fit(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Least squares of y on x."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    sxy = sum((x - mx) * (y - my) for x, y in points)
    b = sxy / sxx
    return my - b * mx, b


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default=os.environ.get("VIGIL_BINARY", str(ROOT / ".build/release/vigil")))
    ap.add_argument("--levels", default="6,7,8,9,10,11,12,13,14")
    ap.add_argument("--train", default="2014-03-01:2018-01-01", help="fit period start:end (dates, end exclusive)")
    ap.add_argument("--json", help="write the fit and the checks here")
    ap.add_argument("--calibration", help="skip the fit: check this a,b (e.g. the shipped -3.6943,0.3265)")
    args = ap.parse_args()
    train_start, train_end = args.train.split(":")
    levels = [float(x) for x in args.levels.split(",")]
    train_days = days_between(train_start, train_end)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for level in ([] if args.calibration else levels):
            alerts = replay(args.binary, (math.log(365.0) - level, 1.0), 365.0, work)
            n = count_between(alerts, train_start, train_end)
            rows.append({"llr": level, "alerts": n, "days_per_alert": train_days / n if n else None})
            print(f"surprise >= {level:5.2f}: {n:5d} cluster_emerging alerts in {train_days:.0f} training days", flush=True)
        if args.calibration:
            a, b = (float(x) for x in args.calibration.split(","))
        else:
            points = [(r["llr"], math.log(r["days_per_alert"])) for r in rows if r["alerts"] >= 3]
            a, b = fit(points)
        print(f"fit: RI days = exp({a:.4f} + {b:.4f} * surprise)")
        checks = []
        periods = {"held-out 2018-2021": ("2018-01-01", "2022-01-01"), "2015-2021": ("2015-01-01", "2022-01-01"),
                   "training": (train_start, train_end)}
        for r_days in (30, 100, 365):
            alerts = replay(args.binary, (a, b), r_days, work)
            for name, (s, e) in periods.items():
                n = count_between(alerts, s, e)
                expected = days_between(s, e) / r_days
                checks.append({"R_days": r_days, "period": name, "alerts": n, "expected": round(expected, 2),
                               "ratio": round(n / expected, 3)})
                print(f"R = {r_days:3d} d  {name:18s}: {n:4d} alerts, expected {expected:6.1f}, ratio {n / expected:5.2f}")
    result = {"calibration": [round(a, 4), round(b, 4)], "levels": rows, "checks": checks, "train": args.train}
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
