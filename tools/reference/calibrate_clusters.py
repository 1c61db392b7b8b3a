"""Calibrate the cluster scan's recurrence interval RI(LLR) = exp(a + b LLR) days on the real stream.

The scan's statistic is now the surprise (docs/CLUSTERS.md); the shipped calibration comes from
``reference.fit_recurrence`` (real replays). Here, the column and option names ``llr`` hold the
statistic: the surprise for ``--findings-from-twin``, whatever Vigil's findings file gives otherwise.

Goal (issue 11): on the unmodified history, ``cluster_emerging`` alerts at
RI >= R come at about 1/R per day (within a factor of 2) for R in
{30, 100, 365} days.

Method.

1. *Findings.*  Each incident's finding (the cylinder with the largest LLR
   among those with O >= minimum_observed; docs/CLUSTERS.md) on
   the unmodified Toronto stream, with its event time, LLR and centre.  From
   ``vigil replay --cluster-findings FILE`` (one NDJSON line per finding above
   Vigil's floor: ``incident``, ``event_time``, ``llr``, and ``cell`` or
   ``lat``/``lon``; optional ``cluster`` id and ``kinds``), or, with
   ``--findings-from-twin``, computed independently by
   ``reference.clusters_twin`` (no Vigil needed).
2. *Chance clusters at a threshold.*  A cluster alert fires once per cluster,
   not once per significant evaluation.  At LLR threshold l the findings with
   LLR >= l are grouped: with ``cluster`` ids, per id (a cluster counts at l
   when its peak LLR >= l); otherwise greedily in time order, a finding joins
   a group whose first finding is within ``--join-m`` (750 m) of it and whose
   latest finding is at most ``--join-hours`` (168 h) before it, else it opens
   a new group.  Groups per
   day = lambda(l).
3. *Fit.*  On the training period (default 2015-2017: 2014 has no year of
   baseline behind it), weighted least squares of ln(1 / lambda(l)) on l over
   thresholds where 1 / lambda spans ``--fit-range`` (20-500 days), weights =
   group counts (the Poisson variance of a log count is 1/count).  RI(l) =
   exp(a + b l) then promises 1/R per day at RI >= R.
4. *Check.*  For R in {30, 100, 365}: expected count = days / R, against
   (i) the grouped findings with LLR >= l_R = (ln R - a) / b, and, with
   ``--verify-replays``, (ii) the ``cluster_emerging`` alerts of a real
   ``vigil replay`` with the fitted a, b and min_recurrence = R (environment
   overrides ``VIGIL_CLUSTERS_CALIBRATION="a,b"`` and
   ``VIGIL_ALERTS_MIN_RECURRENCE="Rd"``), on the
   held-out period (2018-2021) and on 2015-2021.  Ratio observed/expected and
   whether it is within a factor of 2.  The default-threshold replay also
   gives the alert volume per day by kind.

CLI (from ``tools/``)::

    python -m tools.reference.calibrate_clusters --workdir /tmp/calib --findings-from-twin
    python -m tools.reference.calibrate_clusters --workdir /tmp/calib --binary $VIGIL_BINARY --verify-replays
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tools.vigil_tools.ndjson import iter_ndjson

from .common import DAY_MS, Grid, cell_name, format_rfc3339_ms, parse_cell_name, parse_rfc3339_ms
from .plant_surges import day_start_ms

ROOT = Path(__file__).resolve().parents[2]
CHECK_R = (30, 100, 365)
# the checking replays need cluster_emerging only: the other rules and the model do not change it
SCAN_ONLY_ENV = {"VIGIL_ALERTS_KINDS": "cluster_emerging", "VIGIL_HOTSPOTS_ENABLED": "false",
                 "VIGIL_RULES_COUNT_ENABLED": "false", "VIGIL_RULES_SURGE_ENABLED": "false", "VIGIL_MODEL_PATH": ""}


@dataclass(frozen=True)
class Period:
    name: str
    start: date
    end: date          # inclusive

    @property
    def lo(self) -> int:
        return day_start_ms(self.start)

    @property
    def hi(self) -> int:
        return day_start_ms(self.end) + DAY_MS

    @property
    def days(self) -> float:
        return (self.hi - self.lo) / DAY_MS


def parse_period(name: str, text: str) -> Period:
    a, b = text.split(":")
    return Period(name, date.fromisoformat(a), date.fromisoformat(b))


# ---------------------------------------------------------------------------------------------
# findings


def findings_from_file(path: str | Path, grid: Grid) -> pd.DataFrame:
    """Vigil's ``--cluster-findings`` lines as ``t, llr, x, y, cluster, kinds``."""
    recs = []
    for o in iter_ndjson(path):
        t = parse_rfc3339_ms(o.get("event_time"))
        if t is None or not isinstance(o.get("llr"), (int, float)):
            raise ValueError(f"{path}: finding without event_time/llr: {o}")
        if isinstance(o.get("cell"), str):
            cx, cy = parse_cell_name(o["cell"])
            x, y = (cx + 0.5) * grid.cell_size, (cy + 0.5) * grid.cell_size
        elif isinstance(o.get("lat"), (int, float)) and isinstance(o.get("lon"), (int, float)):
            x, y = (float(v) for v in grid.project(o["lat"], o["lon"]))
        else:
            raise ValueError(f"{path}: finding without cell or lat/lon: {o}")
        kinds = o.get("kinds", o.get("alerts", []))
        recs.append((t, float(o["llr"]), x, y, o.get("cluster"), ",".join(kinds) if isinstance(kinds, list) else str(kinds)))
    return pd.DataFrame.from_records(recs, columns=["t", "llr", "x", "y", "cluster", "kinds"])


def findings_from_twin(inputs: Sequence[str], config: Path | None, floor: float, chunk: int = 20000,
                       log=print) -> pd.DataFrame:
    """Every evaluation's finding, computed by the offline twin, kept when LLR >= ``floor``."""
    from .clusters_twin import ClusterTwin, ScanParams
    from .common import load_frame

    params = ScanParams.from_config(config)
    frame = load_frame(list(inputs), params.grid)
    twin = ClusterTwin(frame, params)
    ev = twin.evaluations()
    out = []
    t0 = time.monotonic()
    rows_ev = ev["row"].to_numpy()
    s = 0
    while s < len(ev):
        j = min(s + chunk, len(ev))
        while 0 < j < len(ev) and rows_ev[j] == rows_ev[j - 1]:   # keep an incident's evaluations together
            j += 1
        e = ev.iloc[s:j]
        f = twin.findings(e["row"].to_numpy(), e["layer_code"].to_numpy())
        out.append(f[f["surprise"] >= floor])
        if s // chunk % 5 == 0:
            log(f"twin findings: {j}/{len(ev)} evaluations ({time.monotonic() - t0:.0f} s)")
        s = j
    f = pd.concat(out, ignore_index=True)
    rows = f["row"].to_numpy()
    g = params.grid
    return pd.DataFrame({"t": frame["t"].to_numpy()[rows], "llr": f["surprise"].to_numpy(),
                         "x": (twin.cx[rows] + 0.5) * g.cell_size, "y": (twin.cy[rows] + 0.5) * g.cell_size,
                         "cluster": None, "kinds": "", "layer": f["layer"].to_numpy(),
                         "radius_cells": f["radius_cells"].to_numpy(), "duration_h": f["duration_h"].to_numpy(),
                         "observed": f["observed"].to_numpy(), "expected": f["expected"].to_numpy(),
                         "incident": f["incident"].to_numpy()}).sort_values("t", kind="mergesort").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# grouping and fitting


def group_onsets(f: pd.DataFrame, threshold: float, join_m: float, join_ms: int) -> np.ndarray:
    """Onset times of the chance clusters at LLR >= ``threshold`` (see the module docstring)."""
    g = f[f["llr"] >= threshold]
    if "cluster" in g and g["cluster"].notna().all() and len(g):
        return g.groupby("cluster")["t"].min().to_numpy(np.int64)
    t, x, y = g["t"].to_numpy(np.int64), g["x"].to_numpy(), g["y"].to_numpy()
    bucket: dict[tuple[int, int], list[int]] = {}   # coarse cell -> open group ids
    last_t: list[int] = []
    gx: list[float] = []
    gy: list[float] = []
    onsets: list[int] = []
    for ti, xi, yi in zip(t.tolist(), x.tolist(), y.tolist()):
        bx, by = int(xi // join_m), int(yi // join_m)
        hit = -1
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for gid in bucket.get((bx + dx, by + dy), ()):
                    if ti - last_t[gid] <= join_ms and (gx[gid] - xi) ** 2 + (gy[gid] - yi) ** 2 <= join_m ** 2:
                        hit = gid
                        break
                if hit >= 0:
                    break
            if hit >= 0:
                break
        if hit >= 0:
            last_t[hit] = ti
        else:
            gid = len(onsets)
            onsets.append(ti)
            last_t.append(ti)
            gx.append(xi)
            gy.append(yi)
            bucket.setdefault((bx, by), []).append(gid)
    return np.array(onsets, dtype=np.int64)


def rate_curve(f: pd.DataFrame, period: Period, thresholds: np.ndarray, join_m: float, join_ms: int,
               stop_below_days: float = 0.0) -> pd.DataFrame:
    """Grouped chance clusters per day at each threshold, from the highest threshold down, stopping
    once the interval falls below ``stop_below_days`` (lower thresholds cost more and are not used)."""
    rows = []
    f = f[(f["t"] >= period.lo - 8 * DAY_MS) & (f["t"] < period.hi)]
    for thr in sorted(thresholds, reverse=True):
        on = group_onsets(f, float(thr), join_m, join_ms)
        n = int(((on >= period.lo) & (on < period.hi)).sum())
        rows.append({"llr": float(thr), "groups": n, "per_day": n / period.days,
                     "interval_days": period.days / n if n else math.inf})
        if n and period.days / n < stop_below_days:
            break
    return pd.DataFrame(rows[::-1])


def fit(curve: pd.DataFrame, lo_days: float, hi_days: float) -> tuple[float, float, int]:
    """Weighted least squares of ln(interval_days) = a + b llr over the usable thresholds."""
    c = curve[(curve["groups"] >= 3) & (curve["interval_days"] >= lo_days) & (curve["interval_days"] <= hi_days)]
    if len(c) < 2:
        raise RuntimeError(f"too few thresholds with intervals in [{lo_days}, {hi_days}] days to fit:\n{curve}")
    w = c["groups"].to_numpy(float)
    X = np.column_stack([np.ones(len(c)), c["llr"].to_numpy()])
    yv = np.log(c["interval_days"].to_numpy())
    W = np.sqrt(w)
    (a, b), *_ = np.linalg.lstsq(X * W[:, None], yv * W, rcond=None)
    return float(a), float(b), len(c)


def llr_for(R: float, a: float, b: float) -> float:
    return (math.log(R) - a) / b


# ---------------------------------------------------------------------------------------------
# replays


def replay_alerts(binary: str, inputs: Sequence[str], config: Path, out: Path, env: dict[str, str],
                  extra: Sequence[str] = ()) -> tuple[pd.DataFrame, dict[str, Any]]:
    cmd = [binary, "replay", "--config", str(config), "--output", str(out), "--summary", str(out) + ".summary.json",
           "--quiet", *extra]
    for i in inputs:
        cmd += ["--input", i]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **env})
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} (env {env}) exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    recs = [(a.get("kind"), parse_rfc3339_ms(a.get("event_time"))) for a in iter_ndjson(out)]
    with open(str(out) + ".summary.json", encoding="utf-8") as f:
        summ = json.load(f)
    return pd.DataFrame.from_records(recs, columns=["kind", "t"]), summ


def count_in(alerts: pd.DataFrame, kind: str, p: Period) -> int:
    return int(((alerts["kind"] == kind) & (alerts["t"] >= p.lo) & (alerts["t"] < p.hi)).sum())


def within2(obs: float, exp: float) -> bool:
    return exp > 0 and 0.5 <= obs / exp <= 2.0


# ---------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.reference.calibrate_clusters", description=__doc__.split("\n\n")[0])
    p.add_argument("--workdir", type=Path, required=True)
    p.add_argument("--binary", default=os.environ.get("VIGIL_BINARY"))
    p.add_argument("--config", type=Path, default=ROOT / "Config" / "vigil.toml")
    p.add_argument("--input", action="append", default=[], help="default: the packaged Toronto train+test CSVs")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--use-calibration", nargs=2, type=float, metavar=("A", "B"),
                     help="skip the fit: check this calibration with --verify-replays")
    src.add_argument("--findings", help="an existing --cluster-findings file (skip the findings replay)")
    src.add_argument("--findings-from-twin", action="store_true", help="compute the findings with the offline twin")
    p.add_argument("--floor", type=float, default=4.0, help="twin findings: keep LLR >= this")
    p.add_argument("--train", default="2015-01-01:2017-12-31")
    p.add_argument("--heldout", default="2018-01-01:2021-12-31")
    p.add_argument("--whole", default="2015-01-01:2021-12-31")
    p.add_argument("--fit-range", nargs=2, type=float, default=(20.0, 500.0), metavar=("LO_DAYS", "HI_DAYS"))
    p.add_argument("--join-m", type=float, default=750.0)
    p.add_argument("--join-hours", type=float, default=168.0)
    p.add_argument("--verify-replays", action="store_true",
                   help="replay at min_recurrence = 30, 100, 365 with the fitted a, b and count cluster_emerging")
    p.add_argument("--env-calibration", default="VIGIL_CLUSTERS_CALIBRATION",
                   help="environment override of clusters.calibration, written \"a,b\"")
    p.add_argument("--env-min-recurrence", default="VIGIL_ALERTS_MIN_RECURRENCE")
    p.add_argument("--min-recurrence-format", default="{days}d", help="how the environment value is written")
    p.add_argument("--json", help="write the result here (default WORKDIR/calibration.json)")
    args = p.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    from tools.vigil_tools import toronto
    inputs = args.input or [str(toronto.dataset_path(s)) for s in toronto.SPLITS]
    grid = Grid()
    train, held, whole = (parse_period(n, v) for n, v in (("train", args.train), ("heldout", args.heldout),
                                                          ("whole", args.whole)))
    t0 = time.monotonic()
    findings = None
    if args.use_calibration:
        if not args.verify_replays:
            p.error("--use-calibration needs --verify-replays")
        source = "given"
    elif args.findings_from_twin:
        findings = findings_from_twin(inputs, args.config, args.floor)
        source = "offline twin (reference.clusters_twin)"
        save = args.workdir / "twin-findings.ndjson"
        with open(save, "w", encoding="utf-8") as fh:
            for r in findings.itertuples():
                fh.write(json.dumps({"incident": r.incident, "event_time": format_rfc3339_ms(r.t), "llr": r.llr,
                                     "layer": r.layer, "cell": cell_name(r.x // grid.cell_size, r.y // grid.cell_size),
                                     "radius_cells": int(r.radius_cells), "duration_h": int(r.duration_h),
                                     "observed": int(r.observed), "expected": r.expected}) + "\n")
        print(f"twin findings written to {save} (readable with --findings)")
    else:
        path = args.findings
        if path is None:
            if not args.binary:
                p.error("give --binary (or VIGIL_BINARY), --findings FILE or --findings-from-twin")
            path = str(args.workdir / "findings.ndjson")
            replay_alerts(args.binary, inputs, args.config, args.workdir / "alerts-findings.ndjson", {},
                          ["--cluster-findings", path])
        findings = findings_from_file(path, grid)
        source = f"vigil --cluster-findings ({path})"
    join_ms = int(args.join_hours * 3_600_000)
    if findings is not None:
        print(f"{len(findings)} findings from {source} ({time.monotonic() - t0:.0f} s)")
        finite = findings["llr"][np.isfinite(findings["llr"])]
        thresholds = np.round(np.arange(max(float(finite.min()), 0.0), float(finite.max()) + 0.25, 0.25), 2)
        curve = rate_curve(findings, train, thresholds, args.join_m, join_ms, stop_below_days=args.fit_range[0] / 2)
        a, b, used = fit(curve, *args.fit_range)
        print(f"fit on {train.start}..{train.end} ({used} thresholds, intervals {args.fit_range[0]:g}-{args.fit_range[1]:g} d):"
              f" RI(LLR) = exp({a:.4f} + {b:.4f} * LLR) days")
    else:
        a, b = args.use_calibration
        used = 0
        curve = pd.DataFrame()
        print(f"checking the given calibration RI(LLR) = exp({a:.4f} + {b:.4f} * LLR) days")
    result: dict[str, Any] = {"source": source, "calibration_a": a, "calibration_b": b, "fit_thresholds": used,
                              "train": str(train), "join_m": args.join_m, "join_hours": args.join_hours,
                              "checks": []}
    print(f"{'R (d)':>6} {'LLR_R':>7} {'period':>8} {'days':>6} {'expected':>9} {'grouped':>8} {'ratio':>6} "
          f"{'alerts':>7} {'ratio':>6}  within x2")
    alerts_at: dict[int, pd.DataFrame] = {}
    if args.verify_replays:
        if not args.binary:
            p.error("--verify-replays needs --binary or VIGIL_BINARY")
        for R in CHECK_R:
            env = {args.env_calibration: f"{a!r},{b!r}", args.env_min_recurrence: args.min_recurrence_format.format(days=R),
                   **SCAN_ONLY_ENV}
            alerts_at[R], _ = replay_alerts(args.binary, inputs, args.config, args.workdir / f"alerts-R{R}.ndjson", env)
    for R in CHECK_R:
        thr = llr_for(R, a, b)
        for per in (train, held, whole):
            exp = per.days / R
            row = {"R_days": R, "llr_threshold": thr, "period": per.name, "from": str(per.start), "to": str(per.end),
                   "days": per.days, "expected": exp}
            n = None
            if findings is not None:
                on = group_onsets(findings, thr, args.join_m, join_ms)
                n = int(((on >= per.lo) & (on < per.hi)).sum())
                row.update({"grouped_findings": n, "grouped_ratio": n / exp, "grouped_within_2": within2(n, exp)})
            if R in alerts_at:
                m = count_in(alerts_at[R], "cluster_emerging", per)
                row.update({"cluster_emerging": m, "alert_ratio": m / exp, "alert_within_2": within2(m, exp)})
            result["checks"].append(row)
            alert_txt = (f"{row['cluster_emerging']:>7} {row['alert_ratio']:>6.2f}  {'yes' if row['alert_within_2'] else 'NO'}"
                         if "cluster_emerging" in row else f"{'-':>7} {'-':>6}  {'yes' if row['grouped_within_2'] else 'NO'} (grouped)")
            grouped = f"{n:>8} {n / exp:>6.2f}" if n is not None else f"{'-':>8} {'-':>6}"
            print(f"{R:>6} {thr:>7.2f} {per.name:>8} {per.days:>6.0f} {exp:>9.1f} {grouped} {alert_txt}")
    if args.verify_replays:
        env = {args.env_calibration: f"{a!r},{b!r}", **{k: v for k, v in SCAN_ONLY_ENV.items() if k != "VIGIL_ALERTS_KINDS"}}
        default_alerts, summ = replay_alerts(args.binary, inputs, args.config, args.workdir / "alerts-default.ndjson", env)
        per = whole
        sel = default_alerts[(default_alerts["t"] >= per.lo) & (default_alerts["t"] < per.hi)]
        vol = {str(k): int(v) / per.days for k, v in sel["kind"].value_counts().sort_index().items()}
        result["default_alerts_per_day_2015_2021"] = vol
        print("default min_recurrence, default alert kinds (scan only: other rules and the model off), per day 2015-2021: " + ", ".join(f"{k} {v:.3f}" for k, v in vol.items()))
    result["curve_train"] = curve.replace([math.inf], None).to_dict(orient="records") if len(curve) else []
    out = args.json or str(args.workdir / "calibration.json")
    with open(out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1, default=str)
        f.write("\n")
    print(f"wrote {out}")
    ok = all(r.get("alert_within_2", r.get("grouped_within_2")) for r in result["checks"] if r["period"] != "train")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
