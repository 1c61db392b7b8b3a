"""Score Vigil's surge alerts against planted surges (see ``reference.plant_surges``).

A planted surge counts as *detected* if the alerts contain a ``surge`` alert
with the same category and neighbourhood whose ``event_time`` lies in
``[start_ms, end_ms + window]`` (``--window-hours``, default 6; both ends
inclusive).  The category and neighbourhood are read from the alert's
``key`` object (falling back to top-level ``category`` / ``neighbourhood``).
Other alert kinds are ignored.

Printed: the detection rate, the missed surges (first 10), and the number of
surge alerts that match no planted surge.  With ``--baseline-alerts B`` (the
alerts of the *unmodified* stream) also the surge alerts per day of the
baseline, over ``--days N`` days (or, with ``--baseline-summary S``, the days
between the summary's ``first_event_ms`` and ``last_event_ms``) - the false
alarm load an analyst would see.

Exit 1 if the detection rate is below ``--min-detection`` (default 0.95)
unless ``--no-fail``.

CLI (from ``tools/``)::

    python -m tools.reference.score_surges --truth truth.json --alerts alerts.ndjson \\
        [--window-hours 6] [--baseline-alerts base.ndjson --days 1096]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tools.vigil_tools.ndjson import iter_ndjson

from .common import DAY_MS, HOUR_MS, format_rfc3339_ms, parse_rfc3339_ms


@dataclass
class SurgeAlert:
    category: str | None
    neighbourhood: str | None
    t: int | None
    id: Any


def surge_alerts(alerts: Iterable[dict[str, Any]]) -> list[SurgeAlert]:
    out = []
    for a in alerts:
        if not isinstance(a, dict) or a.get("kind") != "surge":
            continue
        key = a.get("key") if isinstance(a.get("key"), dict) else {}
        out.append(SurgeAlert(key.get("category", a.get("category")),
                              key.get("neighbourhood", a.get("neighbourhood")),
                              parse_rfc3339_ms(a.get("event_time")), a.get("id")))
    return out


@dataclass
class Score:
    n: int
    detected: list[int] = field(default_factory=list)   # surge numbers
    missed: list[dict[str, Any]] = field(default_factory=list)
    matched_alerts: int = 0
    unmatched_alerts: int = 0
    surge_alerts: int = 0

    @property
    def rate(self) -> float:
        return len(self.detected) / self.n if self.n else float("nan")


def score(truth: Sequence[dict[str, Any]], alerts: Iterable[dict[str, Any]], window_hours: float = 6.0) -> Score:
    """Match planted surges to surge alerts (see the module docstring)."""
    win = int(round(window_hours * HOUR_MS))
    by_key: dict[tuple[Any, Any], list[int]] = {}
    sa = surge_alerts(alerts)
    for k, a in enumerate(sa):
        by_key.setdefault((a.category, a.neighbourhood), []).append(k)
    used: set[int] = set()
    res = Score(len(truth), surge_alerts=len(sa))
    for s in truth:
        hits = [k for k in by_key.get((s["category"], s["neighbourhood"]), [])
                if sa[k].t is not None and s["start_ms"] <= sa[k].t <= s["end_ms"] + win]
        if hits:
            res.detected.append(s["surge"])
            used.update(hits)
        else:
            res.missed.append(s)
    res.matched_alerts = len(used)
    res.unmatched_alerts = len(sa) - len(used)
    return res


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.reference.score_surges", description=__doc__.split("\n\n")[0])
    p.add_argument("--truth", required=True)
    p.add_argument("--alerts", required=True, help="alerts NDJSON of vigil replay on the planted stream")
    p.add_argument("--window-hours", type=float, default=6.0)
    p.add_argument("--baseline-alerts", help="alerts NDJSON of vigil replay on the unmodified stream")
    p.add_argument("--days", type=float, help="length of the baseline stream in days")
    p.add_argument("--baseline-summary", help="replay summary JSON of the baseline (gives the days)")
    p.add_argument("--min-detection", type=float, default=0.95)
    p.add_argument("--no-fail", action="store_true")
    args = p.parse_args(argv)

    with open(args.truth, encoding="utf-8") as f:
        truth = json.load(f)
    res = score(truth, iter_ndjson(args.alerts), args.window_hours)
    print(f"detected {len(res.detected)} of {res.n} planted surges: detection rate {res.rate:.4f} "
          f"(window end + {args.window_hours:g} h)")
    print(f"surge alerts: {res.surge_alerts}; matched to a planted surge {res.matched_alerts}, "
          f"other {res.unmatched_alerts}")
    for s in res.missed[:10]:
        print(f"  missed surge {s['surge']}: {s['category']} / {s['neighbourhood']} "
              f"{format_rfc3339_ms(s['start_ms'])} .. {format_rfc3339_ms(s['end_ms'])}")
    if args.baseline_alerts:
        days = args.days
        if days is None and args.baseline_summary:
            with open(args.baseline_summary, encoding="utf-8") as f:
                summ = json.load(f)
            days = (summ["last_event_ms"] - summ["first_event_ms"]) / DAY_MS
        if not days or days <= 0:
            p.error("--baseline-alerts needs --days N (> 0) or --baseline-summary")
        n_base = len(surge_alerts(iter_ndjson(args.baseline_alerts)))
        print(f"baseline: {n_base} surge alerts over {days:g} days = {n_base / days:.3f} per day")
    if res.n and res.rate < args.min_detection and not args.no_fail:
        print(f"FAIL: detection rate {res.rate:.4f} < {args.min_detection}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
