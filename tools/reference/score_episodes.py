"""Score Vigil's alerts against planted episodes (see ``reference.plant_episodes``).

Matching: an alert *matches* an episode when its location (``location.lat``,
``location.lon``) is within 400 m of the episode centre and its
``event_time`` lies in ``[start, end + 6 h]`` (both ends inclusive).
Distances use the grid's equirectangular projection (``common.Grid``).

An episode counts as *detected* when a matching alert has a detection kind
(``cluster_emerging``, ``cluster_grew``, ``surge``); recall is also given per
detection kind.  Reported:

* recall by episode kind (surge, cluster) and size band (surges 4-6, 7-9,
  10-12; clusters 15-25, 26-40), overall and per detection kind;
* median detection delay by episode kind: first matching detection alert's
  event time minus the episode start, in hours (detected episodes only);
* control windows hit: controls matched by a detection alert (and, for
  information, by an alert of any kind);
* unmatched alerts per day by alert kind: alerts with an event time in the
  planting period that match no episode (alerts at control windows are
  counted under "control windows hit" instead), divided by the period's days.

Several (truth, alerts) pairs (one per seed) are pooled: counts add up,
delays are pooled, unmatched alerts are divided by the summed days.

``--check`` exits 1 unless the issue's acceptance levels hold (surges >= 95 %
overall and >= 80 % of 4-6, median delay <= 1 h; clusters >= 90 %, median
delay <= 24 h; no control window hit by a detection alert).

CLI (from ``tools/``)::

    python -m tools.reference.score_episodes --truth truth.json --alerts alerts.ndjson \\
        [--truth t2.json --alerts a2.ndjson ...] [--json score.json] [--check]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tools.vigil_tools.ndjson import iter_ndjson

from .common import DAY_MS, HOUR_MS, Grid, parse_rfc3339_ms

DETECTION_KINDS = ("cluster_emerging", "cluster_grew", "surge")
MATCH_RADIUS_M = 400.0
MATCH_AFTER_MS = 6 * HOUR_MS
BANDS = {"surge": ((4, 6), (7, 9), (10, 12)), "cluster": ((15, 25), (26, 40))}
ACCEPTANCE = {"surge_recall": 0.95, "surge_4_6_recall": 0.80, "surge_median_delay_h": 1.0,
              "cluster_recall": 0.90, "cluster_median_delay_h": 24.0, "controls_hit": 0}


@dataclass(frozen=True)
class Alerts:
    kind: np.ndarray   # object
    t: np.ndarray      # int64 ms (INT64_MIN when missing)
    x: np.ndarray      # metres (nan when no location)
    y: np.ndarray


NO_TIME = np.iinfo(np.int64).min


def read_alerts(objs: Iterable[Any], grid: Grid = Grid()) -> Alerts:
    kinds, ts, lats, lons = [], [], [], []
    for a in objs:
        if not isinstance(a, dict):
            continue
        loc = a.get("location") if isinstance(a.get("location"), dict) else {}
        lat, lon = loc.get("lat"), loc.get("lon")
        t = parse_rfc3339_ms(a.get("event_time"))
        kinds.append(str(a.get("kind")))
        ts.append(NO_TIME if t is None else t)
        lats.append(float(lat) if isinstance(lat, (int, float)) and not isinstance(lat, bool) else math.nan)
        lons.append(float(lon) if isinstance(lon, (int, float)) and not isinstance(lon, bool) else math.nan)
    x, y = grid.project(np.array(lats, dtype=np.float64), np.array(lons, dtype=np.float64))
    return Alerts(np.array(kinds, dtype=object), np.array(ts, dtype=np.int64), x, y)


def band_of(kind: str, size: int) -> str | None:
    for lo, hi in BANDS.get(kind, ()):
        if lo <= size <= hi:
            return f"{lo}-{hi}"
    return None


def match_episodes(truth: dict[str, Any], alerts: Alerts, grid: Grid = Grid()) -> tuple[list[dict[str, Any]], np.ndarray]:
    """Per-episode outcome records, and a mask of the alerts that match some episode."""
    matched = np.zeros(len(alerts.t), dtype=bool)
    out = []
    for ep in truth["episodes"]:
        cx, cy = grid.project(ep["centre"]["lat"], ep["centre"]["lon"])
        near = (alerts.x - cx) ** 2 + (alerts.y - cy) ** 2 <= MATCH_RADIUS_M ** 2
        when = (alerts.t >= ep["start_ms"]) & (alerts.t <= ep["end_ms"] + MATCH_AFTER_MS)
        m = near & when
        matched |= m
        det = m & np.isin(alerts.kind, DETECTION_KINDS)
        first = {}
        for k in DETECTION_KINDS:
            mk = m & (alerts.kind == k)
            if mk.any():
                first[k] = int(alerts.t[mk].min())
        rec = {"episode": ep["episode"], "kind": ep["kind"], "template": ep.get("template"),
               "size": ep["size"], "band": band_of(ep["kind"], ep["size"]), "span_hours": ep["span_hours"],
               "start_ms": ep["start_ms"], "detected": bool(det.any()),
               "delay_h": (int(alerts.t[det].min()) - ep["start_ms"]) / HOUR_MS if det.any() else None,
               "delay_h_by_kind": {k: (v - ep["start_ms"]) / HOUR_MS for k, v in first.items()},
               "alerts_by_kind": {str(k): int(n) for k, n in zip(*np.unique(alerts.kind[m], return_counts=True))}}
        out.append(rec)
    return out, matched


def _rate(hit: int, n: int) -> float | None:
    return hit / n if n else None


def _median(v: list[float]) -> float | None:
    return float(np.median(v)) if v else None


def summarise(records: list[dict[str, Any]], unmatched: dict[str, int], days: float,
              alerts_total: dict[str, int]) -> dict[str, Any]:
    res: dict[str, Any] = {"episodes": {}, "controls": {}, "unmatched_per_day": {}, "days": days}
    for kind in ("surge", "cluster"):
        eps = [r for r in records if r["kind"] == kind]
        detected = [r for r in eps if r["detected"]]
        by_band = {}
        for lo, hi in BANDS[kind]:
            b = [r for r in eps if r["band"] == f"{lo}-{hi}"]
            by_band[f"{lo}-{hi}"] = {"n": len(b), "detected": sum(r["detected"] for r in b),
                                     "recall": _rate(sum(r["detected"] for r in b), len(b))}
        by_alert = {}
        for k in DETECTION_KINDS:
            d = [r["delay_h_by_kind"][k] for r in eps if k in r["delay_h_by_kind"]]
            by_alert[k] = {"detected": len(d), "recall": _rate(len(d), len(eps)), "median_delay_h": _median(d)}
        res["episodes"][kind] = {
            "n": len(eps), "detected": len(detected), "recall": _rate(len(detected), len(eps)),
            "median_delay_h": _median([r["delay_h"] for r in detected]),
            "by_band": by_band, "by_alert_kind": by_alert,
            "missed": [r["episode"] for r in eps if not r["detected"]],
        }
    ctl = [r for r in records if r["kind"] == "control"]
    res["controls"] = {
        "n": len(ctl),
        "hit": sum(r["detected"] for r in ctl),
        "hit_episodes": [r["episode"] for r in ctl if r["detected"]],
        "hit_any_kind": sum(bool(r["alerts_by_kind"]) for r in ctl),
        "alerts_at_controls_by_kind": _sum_dicts(r["alerts_by_kind"] for r in ctl),
    }
    res["unmatched"] = dict(sorted(unmatched.items()))
    res["unmatched_per_day"] = {k: v / days for k, v in sorted(unmatched.items())} if days > 0 else {}
    res["unmatched_detections_per_day"] = (sum(unmatched.get(k, 0) for k in DETECTION_KINDS) / days) if days > 0 else None
    res["alerts_in_period"] = dict(sorted(alerts_total.items()))
    return res


def _sum_dicts(ds: Iterable[dict[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for d in ds:
        for k, v in d.items():
            out[k] = out.get(k, 0) + v
    return dict(sorted(out.items()))


def score_runs(runs: Sequence[tuple[dict[str, Any], Iterable[Any]]], grid: Grid = Grid()) -> dict[str, Any]:
    """Score one or more (truth document, alert objects) pairs, pooled."""
    records: list[dict[str, Any]] = []
    unmatched: dict[str, int] = {}
    totals: dict[str, int] = {}
    days = 0.0
    seeds = []
    for truth, alert_objs in runs:
        alerts = read_alerts(alert_objs, grid)
        recs, matched = match_episodes(truth, alerts, grid)
        for r in recs:
            r["seed"] = truth.get("seed")
        records += recs
        lo, hi = truth["period"]["start_ms"], truth["period"]["end_ms"]
        inside = (alerts.t >= lo) & (alerts.t < hi)
        for k, n in zip(*np.unique(alerts.kind[inside & ~matched], return_counts=True)):
            unmatched[str(k)] = unmatched.get(str(k), 0) + int(n)
        for k, n in zip(*np.unique(alerts.kind[inside], return_counts=True)):
            totals[str(k)] = totals.get(str(k), 0) + int(n)
        days += (hi - lo) / DAY_MS
        seeds.append(truth.get("seed"))
    res = summarise(records, unmatched, days, totals)
    res["seeds"] = seeds
    res["records"] = records
    res["acceptance"] = acceptance(res)
    return res


def acceptance(res: dict[str, Any]) -> dict[str, Any]:
    """The issue's done-when levels: each check with its value and whether it holds."""
    s, c = res["episodes"]["surge"], res["episodes"]["cluster"]

    def ge(v: float | None, lim: float) -> bool:
        return v is not None and v >= lim

    def le(v: float | None, lim: float) -> bool:
        return v is not None and v <= lim

    checks = {
        "surge_recall >= 0.95": (s["recall"], ge(s["recall"], ACCEPTANCE["surge_recall"])),
        "surge_4_6_recall >= 0.80": (s["by_band"]["4-6"]["recall"], ge(s["by_band"]["4-6"]["recall"], ACCEPTANCE["surge_4_6_recall"])),
        "surge_median_delay_h <= 1": (s["median_delay_h"], le(s["median_delay_h"], ACCEPTANCE["surge_median_delay_h"])),
        "cluster_recall >= 0.90": (c["recall"], ge(c["recall"], ACCEPTANCE["cluster_recall"])),
        "cluster_median_delay_h <= 24": (c["median_delay_h"], le(c["median_delay_h"], ACCEPTANCE["cluster_median_delay_h"])),
        "controls_hit == 0": (res["controls"]["hit"], res["controls"]["hit"] == 0),
    }
    return {k: {"value": v, "ok": ok} for k, (v, ok) in checks.items()}


def _pct(v: float | None) -> str:
    return "  -  " if v is None else f"{100 * v:5.1f}%"


def _h(v: float | None) -> str:
    return "-" if v is None else f"{v:.1f} h"


def table(res: dict[str, Any]) -> str:
    """A readable summary of :func:`score_runs`' result."""
    lines = [f"seeds {res['seeds']}; planting period {res['days']:.0f} days in total"]
    lines.append(f"{'episodes':<22}{'n':>5}{'found':>7}{'recall':>9}{'median delay':>14}")
    for kind in ("surge", "cluster"):
        e = res["episodes"][kind]
        lines.append(f"{kind + 's':<22}{e['n']:>5}{e['detected']:>7}{_pct(e['recall']):>9}{_h(e['median_delay_h']):>14}")
        for band, b in e["by_band"].items():
            lines.append(f"  size {band:<15}{b['n']:>5}{b['detected']:>7}{_pct(b['recall']):>9}")
        for k, b in e["by_alert_kind"].items():
            if b["detected"]:
                lines.append(f"  by {k:<17}{'':>5}{b['detected']:>7}{_pct(b['recall']):>9}{_h(b['median_delay_h']):>14}")
    c = res["controls"]
    lines.append(f"control windows: {c['n']}, hit by a detection alert: {c['hit']} {c['hit_episodes'] or ''}"
                 f" (by any alert kind: {c['hit_any_kind']} {c['alerts_at_controls_by_kind'] or ''})")
    lines.append("alerts in the planting period matching no episode, per day:")
    for k, v in res["unmatched_per_day"].items():
        lines.append(f"  {k:<20}{res['unmatched'][k]:>7}  {v:7.3f}/day")
    if not res["unmatched_per_day"]:
        lines.append("  (none)")
    lines.append("acceptance (issue 11):")
    for k, v in res["acceptance"].items():
        val = v["value"]
        shown = "-" if val is None else (f"{val:.3f}" if isinstance(val, float) else str(val))
        lines.append(f"  {'ok  ' if v['ok'] else 'FAIL'} {k:<32} {shown}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.reference.score_episodes", description=__doc__.split("\n\n")[0])
    p.add_argument("--truth", action="append", required=True, help="truth JSON of plant_episodes (repeat per seed)")
    p.add_argument("--alerts", action="append", required=True, help="alerts NDJSON of vigil replay (same order)")
    p.add_argument("--json", help="write the full result (with per-episode records) here")
    p.add_argument("--check", action="store_true", help="exit 1 unless the issue's acceptance levels hold")
    args = p.parse_args(argv)
    if len(args.truth) != len(args.alerts):
        p.error("give one --alerts per --truth")
    runs = []
    for t, a in zip(args.truth, args.alerts):
        with open(t, encoding="utf-8") as f:
            runs.append((json.load(f), list(iter_ndjson(a))))
    return report(score_runs(runs), args.json, args.check)


def report(res: dict[str, Any], json_path: str | None, check: bool) -> int:
    """Prints the table, writes the JSON if asked; 1 when --check and a level is not met."""
    print(table(res))
    if json_path:
        with open(json_path, "w", encoding="utf-8") as f:
            json.dump(res, f, indent=1)
            f.write("\n")
    return 1 if check and not all(v["ok"] for v in res["acceptance"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
