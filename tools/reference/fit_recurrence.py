"""Calibrate the cluster scan's recurrence interval on the real Toronto stream.

The recurrence interval (RI) of an alert is the expected time between chance alerts at least that
strong anywhere in the city. Vigil maps the scan's statistic (its surprise, docs/CLUSTERS.md) to days
with RI = exp(a + b * surprise), with one (a, b) per family of findings: a category layer or layer
``all`` (every category together), times a cylinder shorter than ``clusters.long_from`` (24 h) or
not (``clusters.calibration``, ``calibration_long``, ``calibration_all``, ``calibration_all_long``).
The families' chance tails differ by orders of magnitude (Toronto's is mostly short bursts of one
category), so one mapping would set every family's threshold by the burst tail.

1. For each family and a grid of surprise thresholds L it replays the whole stream with that family's
   threshold exactly L (calibration [ln 365 - L, 1], min_recurrence = 365 days) and the others off,
   and counts ``cluster_emerging`` alerts in the training years.
2. It fits log(days per alert) = a' + b L by least squares over the levels with >= 3 alerts. With
   its share s of the city-wide budget of chance alerts (``--shares``), the family's calibration is
   (a' + ln s, b): alone it alerts at RI >= R once per R / s days.
3. The families overlap (one real spree can reach two of them), so all four together alert less
   often than the shares add up to: one common shift of every a, the geometric mean of the
   training period's observed/expected ratios at R in {30, 100, 365} days, corrects that.
4. It checks the result at R in {30, 100, 365} days on the held-out years and on 2015-2021,
   reporting observed vs expected alerts and their ratio (the goal: within a factor 2).

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


OFF = (-1000.0, 1e-9)   # a calibration under which a family never alerts (RI ~ e^-1000 days)
# The families in Vigil's order (ScanFamily), with their configuration keys' environment overrides.
FAMILIES = ("category", "category_long", "all", "all_long")
ENV = {"category": "VIGIL_CLUSTERS_CALIBRATION", "category_long": "VIGIL_CLUSTERS_CALIBRATION_LONG",
       "all": "VIGIL_CLUSTERS_CALIBRATION_ALL", "all_long": "VIGIL_CLUSTERS_CALIBRATION_ALL_LONG"}
LEVELS = {"category": "20,22,24,26,28,30", "category_long": "14,16,18,20,22,24",
          "all": "14,16,18,20,22,24", "all_long": "12,14,16,18,20,22"}
Calibrations = dict[str, tuple[float, float]]


def replay(binary: str, calibrations: Calibrations, min_days: float, workdir: Path) -> list[dict]:
    """cluster_emerging alerts of a replay of the whole stream with the scan only."""
    out = workdir / "alerts.ndjson"
    seconds = max(86_400, int(round(min_days * 86_400)))
    env = dict(os.environ)
    env.update({ENV[f]: f"{a!r},{b!r}" for f, (a, b) in calibrations.items()})
    env.update({
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


def family_of(alert: dict, long_from_h: int = 24) -> str:
    e = alert["evidence"]
    return ("all" if e["layer"] == "all" else "category") + ("_long" if e["duration_h"] >= long_from_h else "")


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


def fit_family(binary: str, family: str, levels: list[float], share: float, train: tuple[str, str],
               work: Path, known: list[dict] | None = None) -> tuple[tuple[float, float], list[dict]]:
    """(a, b) of one family with its share of the budget, and the levels it was fitted on (`known`:
    the levels of an earlier run, whose replays do not depend on the shares)."""
    train_days = days_between(*train)
    rows = [r for r in known or [] if r["family"] == family]
    for level in [] if rows else levels:
        calibrations = {f: OFF for f in FAMILIES}
        calibrations[family] = (math.log(365.0) - level, 1.0)
        n = count_between(replay(binary, calibrations, 365.0, work), *train)
        rows.append({"family": family, "surprise": level, "alerts": n, "days_per_alert": train_days / n if n else None})
        print(f"{family:14s} surprise >= {level:5.2f}: {n:5d} cluster_emerging alerts in {train_days:.0f} training days",
              flush=True)
    points = [(r["surprise"], math.log(r["days_per_alert"])) for r in rows if r["alerts"] >= 3]
    if len(points) < 2:
        raise SystemExit(f"fit_recurrence: {family}: fewer than two levels with >= 3 alerts; lower --levels-{family}")
    a, b = fit(points)
    return (a + math.log(share), b), rows


def parse_pair(text: str) -> tuple[float, float]:
    a, b = (float(x) for x in text.split(","))
    return a, b


def check(binary: str, calibrations: Calibrations, periods: dict[str, tuple[str, str]], work: Path) -> list[dict]:
    """Observed vs expected cluster_emerging alerts at R = 30, 100, 365 days, per period."""
    checks = []
    for r_days in (30, 100, 365):
        alerts = replay(binary, calibrations, r_days, work)
        for name, (s, e) in periods.items():
            within = [a for a in alerts if s <= a["event_time"][:10] < e]
            expected = days_between(s, e) / r_days
            per_family = {f: sum(1 for a in within if family_of(a) == f) for f in FAMILIES}
            checks.append({"R_days": r_days, "period": name, "alerts": len(within), "by_family": per_family,
                           "expected": round(expected, 2), "ratio": round(len(within) / expected, 3)})
            print(f"R = {r_days:3d} d  {name:18s}: {len(within):4d} alerts {per_family}, expected {expected:6.1f}, "
                  f"ratio {len(within) / expected:5.2f}", flush=True)
    return checks


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default=os.environ.get("VIGIL_BINARY", str(ROOT / ".build/release/vigil")))
    for f in FAMILIES:
        ap.add_argument(f"--levels-{f.replace('_', '-')}", default=LEVELS[f], help=f"surprise levels of family {f}")
    ap.add_argument("--shares", default="0.25,0.25,0.25,0.25",
                    help="each family's share of the chance-alert budget, in the order " + ", ".join(FAMILIES))
    ap.add_argument("--train", default="2014-03-01:2018-01-01", help="fit period start:end (dates, end exclusive)")
    ap.add_argument("--json", help="write the fit and the checks here")
    ap.add_argument("--levels-from", help="reuse the levels of an earlier run's --json (only the shares change)")
    ap.add_argument("--calibrations", help="skip the fit: check these, 'a,b;a,b;a,b;a,b' in the order " + ", ".join(FAMILIES))
    args = ap.parse_args()
    shares = [float(x) for x in args.shares.split(",")]
    if len(shares) != len(FAMILIES) or any(not 0 < x < 1 for x in shares) or abs(sum(shares) - 1) > 1e-9:
        ap.error("--shares: four numbers in (0, 1) adding up to 1")
    train = tuple(args.train.split(":"))
    periods = {"held-out 2018-2021": ("2018-01-01", "2022-01-01"), "2015-2021": ("2015-01-01", "2022-01-01"),
               "training": train}
    rows: list[dict] = []
    shift = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.calibrations:
            calibrations = dict(zip(FAMILIES, (parse_pair(x) for x in args.calibrations.split(";")), strict=True))
        else:
            calibrations = {}
            known = json.loads(Path(args.levels_from).read_text())["levels"] if args.levels_from else None
            for f, share in zip(FAMILIES, shares, strict=True):
                levels = [float(x) for x in getattr(args, f"levels_{f}").split(",")]
                calibrations[f], fitted = fit_family(args.binary, f, levels, share, train, work, known)
                rows += fitted
            print("before the overlap shift:", {f: (round(a, 4), round(b, 4)) for f, (a, b) in calibrations.items()})
            first = check(args.binary, calibrations, {"training": train}, work)
            ratios = [c["ratio"] for c in first if c["alerts"] > 0]
            shift = -sum(math.log(r) for r in ratios) / len(ratios) if ratios else 0.0
            calibrations = {f: (a + shift, b) for f, (a, b) in calibrations.items()}
            print(f"overlap shift of every a: {shift:+.4f}")
        print("calibrations: " + "; ".join(f"{f} = [{a:.4f}, {b:.4f}]" for f, (a, b) in calibrations.items()))
        checks = check(args.binary, calibrations, periods, work)
    result = {"calibrations": {f: [round(a, 4), round(b, 4)] for f, (a, b) in calibrations.items()},
              "shares": dict(zip(FAMILIES, shares, strict=True)), "overlap_shift": round(shift, 4), "levels": rows,
              "checks": checks, "train": args.train}
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
