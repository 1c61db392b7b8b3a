"""Plant surges, emerging clusters and control windows into the real Toronto stream.

The cluster detector of issue 11 is judged by recall on *planted episodes*:
a copy of the real stream (all history up to the end of the planting period,
so the detector's trailing-year baselines exist) with known episodes added.
``reference.score_episodes`` then matches Vigil's alerts to them.

Episode kinds (all randomness from ``numpy.random.default_rng(seed)``):

* **surge**: ``n`` ~ U{4..12} incidents of one category within 250 m of a
  centre over ``D`` ~ U{1, 2, 3} hours, at a place that saw at most 4
  incidents of that category within 250 m in the 365 days before the start.
* **cluster** (emerging cluster): ``n`` ~ U{15..40} incidents within 200 m over
  ``D`` ~ U{72..240} hours (3-10 days), at a place with at most 8 incidents
  of any category within 200 m in the previous 365 days.  70 % of the rows
  have the episode's main category, the rest a category drawn from the real
  city-wide mix.
* **control**: the same kind of place and time as a surge or a cluster
  (alternately; ``template`` says which), nothing planted.

Construction:

* The *anchor* of an episode is a random real incident of the planting
  period; its location is the episode centre, its category the main
  category, its event time floored to the hour the start ``start_ms``.
  ``end_ms = start_ms + D h``.  The data has hour resolution, so planted rows
  have event times at whole hours ``start_ms + o h`` with offsets ``o`` in
  ``0..D-1``; the first row is at offset 0 and the last at ``D-1``.  Surge
  offsets are uniform; cluster offsets follow the city's hour-of-week profile
  (so clusters are not unnaturally nocturnal).
* Planted rows are *snapped* to real incident locations (the MCI data places
  incidents at intersections): a random distinct real point within the
  radius of the centre.  Premises and neighbourhood are copied from a real
  incident at that point (same category when there is one).  No planted row
  shares its point and event time with another row of the stream (real or
  planted), so none is an exact duplicate.  ``repeat_window_h`` > 0 keeps
  planted rows that far from any other row at their point; the default 0
  keeps the issue's episode definition, and the truth records for each
  episode ``occurrences_24h``: how many of its rows a detector that merges
  repeats at one point within 24 h (``clusters.repeat_window``,
  docs/CLUSTERS.md "Occurrences") would count, among the planted rows alone.
* Episodes (controls included) are kept apart: any two are >= 2 km apart
  or their windows ``[start, end + 6 h]`` are >= 30 days apart; and the
  quiet-place test counts earlier planted rows as well as real ones.
* Ids: ``plant-{seed}-{S|C}{k:03d}-{j:02d}``, ``source`` ``"planted"``.

Output: canonical incident NDJSON (``--out``) in (event time, id) order,
which ``vigil replay --input FILE`` reads; planted rows carry RFC 3339 UTC
event times, real rows are written unchanged.  The truth JSON (``--truth``)
holds the parameters, the planting period and one record per episode.

CLI (from ``tools/``)::

    python -m tools.reference.plant_episodes --seed 1 --out planted.ndjson --truth truth.json \\
        [--year 2021 | --period-from 2021-01-15 --period-to 2021-06-30] [--history-from 2014-01-01] \\
        [--surges 30 --clusters 15 --controls 20]
"""

from __future__ import annotations

import argparse
import bisect
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from tools.vigil_tools.ndjson import write_ndjson

from .common import DAY_MS, HOUR_MS, Grid, format_rfc3339_ms
from .plant_surges import day_start_ms, load_records

WEEK_HOURS = 168
MATCH_AFTER_MS = 6 * HOUR_MS  # the scorer's window: start .. end + 6 h


@dataclass(frozen=True)
class PlantParams:
    """What to plant (defaults: the issue's episode definitions)."""

    surges: int = 30
    clusters: int = 15
    controls: int = 20
    surge_size: tuple[int, int] = (4, 12)
    surge_hours: tuple[int, int] = (1, 3)
    surge_radius_m: float = 250.0
    surge_quiet_max: int = 4          # same category within surge_radius_m in the previous year
    cluster_size: tuple[int, int] = (15, 40)
    cluster_hours: tuple[int, int] = (72, 240)
    cluster_radius_m: float = 200.0
    cluster_quiet_max: int = 8        # any category within cluster_radius_m in the previous year
    cluster_main_share: float = 0.7
    cluster_times_profile: bool = True   # cluster rows at hours drawn from the city's hour-of-week profile (else uniform)
    quiet_days: int = 365
    # no planted row closer than this to another row at its point; 0: only the same point and hour is
    # avoided (the episodes as defined: a detector that merges repeats at one point within
    # clusters.repeat_window sees fewer; the truth's "occurrences_24h" says how many)
    repeat_window_h: float = 0.0
    separation_m: float = 2000.0
    separation_days: float = 30.0


@dataclass
class _Real:
    """Column arrays of the usable real incidents (event time, category, location)."""

    t: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    x: np.ndarray
    y: np.ndarray
    cat: np.ndarray          # category code
    cats: list[str]
    premises: list[Any]
    hoods: list[Any]


def _usable(o: dict[str, Any], t: int | None, grid: Grid) -> bool:
    lat, lon = o.get("lat"), o.get("lon")
    return (t is not None and all(isinstance(o.get(k), str) and o.get(k) for k in ("id", "category"))
            and isinstance(lat, (int, float)) and isinstance(lon, (int, float))
            and not isinstance(lat, bool) and not isinstance(lon, bool)
            and bool(grid.contains(lat, lon)) and not (lat == 0 and lon == 0))


class EpisodePlanter:
    """Places episodes one by one; holds the indexes the constraints need."""

    def __init__(self, records: list[tuple[dict[str, Any], int]], grid: Grid, params: PlantParams,
                 period: tuple[int, int], rng: np.random.Generator) -> None:
        self.grid, self.p, self.period, self.rng = grid, params, period, rng
        use = [(o, t) for o, t in records if _usable(o, t, grid)]
        cats = sorted({o["category"] for o, _ in use})
        code = {c: k for k, c in enumerate(cats)}
        lat = np.array([o["lat"] for o, _ in use], dtype=np.float64)
        lon = np.array([o["lon"] for o, _ in use], dtype=np.float64)
        x, y = grid.project(lat, lon)
        self.real = _Real(np.array([t for _, t in use], dtype=np.int64), lat, lon, x, y,
                          np.array([code[o["category"]] for o, _ in use], dtype=np.int64), cats,
                          [o.get("premises") for o, _ in use], [o.get("neighbourhood") for o, _ in use])
        r = self.real
        self.tree = cKDTree(np.column_stack([x, y]))
        # distinct real points: the places planted rows snap to
        pts, first, inv = np.unique(np.column_stack([lat, lon]), axis=0, return_index=True, return_inverse=True)
        self.pt_lat, self.pt_lon = pts[:, 0], pts[:, 1]
        px, py = grid.project(self.pt_lat, self.pt_lon)
        self.pt_tree = cKDTree(np.column_stack([px, py]))
        self.pt_rows = inv.ravel()     # real row -> point
        order = np.argsort(self.pt_rows, kind="stable")
        self.rows_by_pt = np.split(order, np.cumsum(np.bincount(self.pt_rows, minlength=len(pts)))[:-1])
        # event times of every row at each point (real and planted), to keep planted rows new occurrences
        self.times_at: list[list[int]] = [sorted(r.t[rows].tolist()) for rows in self.rows_by_pt]
        self.gap_ms = max(int(round(params.repeat_window_h * HOUR_MS)), 1)
        lo, hi = period
        self.anchors = np.flatnonzero((r.t >= lo) & (r.t < hi))
        if not len(self.anchors):
            raise ValueError("no usable real incidents in the planting period")
        # city-wide hour-of-week profile of the history before the period (cluster timing)
        hist = r.t[r.t < lo]
        how = np.bincount(np.floor_divide(hist, HOUR_MS) % WEEK_HOURS, minlength=WEEK_HOURS).astype(float) + 1.0
        self.how = how / how.sum()
        self.planted_xyt: list[tuple[float, float, int, int]] = []   # x, y, t, category code
        self.windows: list[tuple[float, float, int, int]] = []       # x, y, start, end + 6 h

    # -- constraints ---------------------------------------------------------------------------

    def prior_count(self, x: float, y: float, start: int, radius: float, cat: int | None) -> int:
        """Real and earlier planted incidents within ``radius`` in the ``quiet_days`` before ``start``."""
        r = self.real
        lo = start - self.p.quiet_days * DAY_MS
        idx = np.asarray(self.tree.query_ball_point([x, y], radius), dtype=np.int64)
        m = (r.t[idx] >= lo) & (r.t[idx] < start)
        if cat is not None:
            m &= r.cat[idx] == cat
        n = int(m.sum())
        for px, py, pt, pc in self.planted_xyt:
            if lo <= pt < start and (px - x) ** 2 + (py - y) ** 2 <= radius * radius and (cat is None or pc == cat):
                n += 1
        return n

    def apart(self, x: float, y: float, w0: int, w1: int) -> bool:
        gap = self.p.separation_days * DAY_MS
        for ox, oy, o0, o1 in self.windows:
            near = (ox - x) ** 2 + (oy - y) ** 2 < self.p.separation_m ** 2
            if near and w0 < o1 + gap and o0 < w1 + gap:
                return False
        return True

    # -- drawing -------------------------------------------------------------------------------

    def _offsets(self, n: int, span_h: int, start: int, weighted: bool) -> np.ndarray:
        if span_h == 1:
            return np.zeros(n, dtype=np.int64)
        if weighted:
            hours = (start // HOUR_MS + np.arange(span_h)) % WEEK_HOURS
            w = self.how[hours]
            rest = self.rng.choice(span_h, size=max(n - 2, 0), p=w / w.sum())
        else:
            rest = self.rng.integers(0, span_h, size=max(n - 2, 0))
        return np.sort(np.concatenate([[0, span_h - 1], rest]).astype(np.int64))[:n]

    def _snap(self, x: float, y: float, radius: float, times: np.ndarray) -> list[int] | None:
        """A real point within ``radius`` for each time, with no other row (real, planted, or of this
        episode) at that point less than ``repeat_window_h`` before or after it."""
        pts = np.asarray(self.pt_tree.query_ball_point([x, y], radius), dtype=np.int64)
        if not len(pts):
            return None
        chosen: list[int] = []
        mine: dict[int, list[int]] = {}
        g = self.gap_ms

        def clear(p: int, t: int) -> bool:
            ts = self.times_at[p]
            k = bisect.bisect_left(ts, t - g + 1)
            if k < len(ts) and ts[k] < t + g:
                return False
            return all(abs(t - u) >= g for u in mine.get(p, ()))

        for t in times.tolist():
            free = [int(p) for p in pts.tolist() if clear(int(p), t)]
            if not free:
                return None
            p = free[int(self.rng.integers(len(free)))]
            mine.setdefault(p, []).append(t)
            chosen.append(p)
        return chosen

    def _row(self, pid: str, p: int, t: int, cat: int) -> dict[str, Any]:
        """A planted incident at point ``p``: premises/neighbourhood of a real incident there."""
        r = self.real
        rows = self.rows_by_pt[p]
        same = rows[r.cat[rows] == cat]
        src = int((same if len(same) else rows)[int(self.rng.integers(len(same) if len(same) else len(rows)))])
        obj: dict[str, Any] = {"id": pid, "event_time": format_rfc3339_ms(t), "category": r.cats[cat]}
        if r.premises[src] is not None:
            obj["premises"] = r.premises[src]
        if r.hoods[src] is not None:
            obj["neighbourhood"] = r.hoods[src]
        obj["lat"] = float(self.pt_lat[p])
        obj["lon"] = float(self.pt_lon[p])
        obj["source"] = "planted"
        return obj

    def place(self, kind: str, template: str, number: int, seed: int, max_tries: int = 20000
              ) -> tuple[dict[str, Any], list[tuple[dict[str, Any], int]]]:
        """Draw one episode of ``kind`` (surge/cluster/control, shaped like ``template``)."""
        p, r = self.p, self.real
        surge = template == "surge"
        radius = p.surge_radius_m if surge else p.cluster_radius_m
        sizes = p.surge_size if surge else p.cluster_size
        spans = p.surge_hours if surge else p.cluster_hours
        quiet = p.surge_quiet_max if surge else p.cluster_quiet_max
        letter = {"surge": "S", "cluster": "C", "control": "N"}[kind]
        # size and span are drawn once: redrawing them on a failed placement would favour small episodes
        n = int(self.rng.integers(sizes[0], sizes[1] + 1))
        span_h = int(self.rng.integers(spans[0], spans[1] + 1))
        for _ in range(max_tries):
            a = int(self.anchors[int(self.rng.integers(len(self.anchors)))])
            start = int(r.t[a]) // HOUR_MS * HOUR_MS
            end = start + span_h * HOUR_MS
            if end + MATCH_AFTER_MS > self.period[1]:
                continue
            x, y = float(r.x[a]), float(r.y[a])
            if not self.apart(x, y, start, end + MATCH_AFTER_MS):
                continue
            cat = int(r.cat[a])
            prior = self.prior_count(x, y, start, radius, cat if surge else None)
            if prior > quiet:
                continue
            rows: list[tuple[dict[str, Any], int]] = []
            ids: list[str] = []
            cats_planted: dict[str, int] = {}
            if kind != "control":
                times = start + self._offsets(n, span_h, start, weighted=not surge and p.cluster_times_profile) * HOUR_MS
                snapped = self._snap(x, y, radius, times)
                if snapped is None:
                    continue
                for j, (pt, t) in enumerate(zip(snapped, times.tolist())):
                    c = cat
                    if not surge and self.rng.random() >= p.cluster_main_share:
                        c = int(r.cat[int(self.rng.integers(len(r.cat)))])
                    pid = f"plant-{seed}-{letter}{number:03d}-{j:02d}"
                    rows.append((self._row(pid, pt, t, c), t))
                    ids.append(pid)
                    cats_planted[r.cats[c]] = cats_planted.get(r.cats[c], 0) + 1
                for (obj, t), pt in zip(rows, snapped):
                    bisect.insort(self.times_at[pt], t)
                    ox, oy = self.grid.project(obj["lat"], obj["lon"])
                    self.planted_xyt.append((float(ox), float(oy), t, r.cats.index(obj["category"])))
            self.windows.append((x, y, start, end + MATCH_AFTER_MS))
            occ24 = 0
            last: dict[tuple[float, float], int] = {}
            for obj, t in sorted(rows, key=lambda r: r[1]):
                k = (obj["lat"], obj["lon"])
                if k not in last or t - last[k] >= 24 * HOUR_MS:
                    occ24 += 1
                    last[k] = t
            ep = {
                "episode": f"{letter}{number:03d}", "kind": kind, "template": template,
                "occurrences_24h": occ24,
                "category": r.cats[cat], "categories": cats_planted,
                "centre": {"lat": float(r.lat[a]), "lon": float(r.lon[a])},
                "neighbourhood": r.hoods[a], "radius_m": radius,
                "start_ms": start, "end_ms": end, "start": format_rfc3339_ms(start), "end": format_rfc3339_ms(end),
                "span_hours": span_h, "size": len(ids) if kind != "control" else 0,
                "prior_year_count": prior, "prior_year_scope": "same category" if surge else "any category",
                "ids": ids,
            }
            return ep, rows
        raise RuntimeError(f"could not place {kind} episode {number} in {max_tries} draws "
                           "(too many episodes for the period, or constraints too tight)")


def plant_episodes(records: Sequence[tuple[dict[str, Any], int | None]], *, seed: int,
                   period: tuple[int, int], history_from: int | None = None,
                   params: PlantParams = PlantParams(), grid: Grid = Grid()
                   ) -> tuple[list[tuple[dict[str, Any], int]], dict[str, Any]]:
    """Return ``(stream, truth)``: ``(obj, epoch_ms)`` in (time, id) order, and the truth document.

    The stream holds every real record with an event time in
    ``[history_from, period end)`` (all earlier history when ``history_from``
    is ``None``) plus the planted rows.
    """
    lo, hi = period
    if hi <= lo:
        raise ValueError("empty planting period")
    hist_lo = history_from if history_from is not None else -(1 << 62)
    real = [(o, t) for o, t in records if t is not None and hist_lo <= t < hi]
    rng = np.random.default_rng(seed)
    planter = EpisodePlanter(real, grid, params, period, rng)
    episodes: list[dict[str, Any]] = []
    planted: list[tuple[dict[str, Any], int]] = []
    # interleave kinds so no kind systematically gets the leftover places
    plan = ([("surge", "surge")] * params.surges + [("cluster", "cluster")] * params.clusters
            + [("control", "surge" if k % 2 == 0 else "cluster") for k in range(params.controls)])
    order = rng.permutation(len(plan))
    counters = {"surge": 0, "cluster": 0, "control": 0}
    for k in order.tolist():
        kind, template = plan[k]
        counters[kind] += 1
        ep, rows = planter.place(kind, template, counters[kind], seed)
        episodes.append(ep)
        planted += rows
    episodes.sort(key=lambda e: (e["kind"], e["episode"]))
    allrec = real + planted
    ts = np.fromiter((t for _, t in allrec), np.int64, len(allrec))
    _, id_rank = np.unique(np.array([str(o.get("id", "")) for o, _ in allrec], dtype=object), return_inverse=True)
    stream_order = np.lexsort((id_rank.ravel(), ts))
    stream = [allrec[k] for k in stream_order.tolist()]
    truth = {
        "generator": "reference.plant_episodes", "seed": seed,
        "period": {"start_ms": lo, "end_ms": hi, "start": format_rfc3339_ms(lo), "end": format_rfc3339_ms(hi)},
        "stream": {"history_from_ms": history_from, "rows": len(stream), "real": len(real), "planted": len(planted),
                   "first_ms": int(ts.min()) if len(ts) else None, "last_ms": int(ts.max()) if len(ts) else None},
        "params": asdict(params), "grid": grid.as_dict(), "match": {"radius_m": 400.0, "after_end_h": 6.0},
        "episodes": episodes,
    }
    return stream, truth


def write_stream(stream: Sequence[tuple[dict[str, Any], int]], path: str | Path) -> None:
    """The planted stream's incidents (without their times) as NDJSON."""
    write_ndjson(path, (obj for obj, _ in stream))


def period_of(year: int | None, start: date | None, end: date | None) -> tuple[int, int]:
    """``[start 00:00Z, end + 1 day 00:00Z)``; by default the calendar year."""
    if start is None:
        start = date(year or 2021, 1, 1)
    if end is None:
        end = date(year or start.year, 12, 31)
    return day_start_ms(start), day_start_ms(end + timedelta(days=1))


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--year", type=int, default=2021, help="planting period: this calendar year (default 2021)")
    p.add_argument("--period-from", type=date.fromisoformat, help="planting period start (UTC day; overrides --year)")
    p.add_argument("--period-to", type=date.fromisoformat, help="planting period end (UTC day, inclusive)")
    p.add_argument("--history-from", type=date.fromisoformat,
                   help="drop real history before this day (default: keep all of it)")
    p.add_argument("--surges", type=int, default=PlantParams.surges)
    p.add_argument("--clusters", type=int, default=PlantParams.clusters)
    p.add_argument("--controls", type=int, default=PlantParams.controls)
    p.add_argument("--cluster-main-share", type=float, default=PlantParams.cluster_main_share,
                   help="share of a cluster's rows in its main category (robustness runs: 1.0)")
    p.add_argument("--uniform-cluster-times", action="store_true",
                   help="cluster rows at uniform hours instead of the city's hour-of-week profile")
    p.add_argument("--input", action="append", default=[], metavar="FILE",
                   help="real incidents (.csv Toronto layout or canonical NDJSON); default: packaged data")


def params_from_args(args: argparse.Namespace) -> PlantParams:
    return PlantParams(surges=args.surges, clusters=args.clusters, controls=args.controls,
                       cluster_main_share=args.cluster_main_share, cluster_times_profile=not args.uniform_cluster_times)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.reference.plant_episodes", description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--out", required=True, help="stream NDJSON to write")
    p.add_argument("--truth", required=True, help="ground-truth JSON to write")
    add_arguments(p)
    args = p.parse_args(argv)
    period = period_of(args.year, args.period_from, args.period_to)
    hist = day_start_ms(args.history_from) if args.history_from else None
    stream, truth = plant_episodes(load_records(args.input), seed=args.seed, period=period, history_from=hist,
                                   params=params_from_args(args))
    write_stream(stream, args.out)
    with open(args.truth, "w", encoding="utf-8") as f:
        json.dump(truth, f, ensure_ascii=False, indent=1)
        f.write("\n")
    kinds = {k: sum(e["kind"] == k for e in truth["episodes"]) for k in ("surge", "cluster", "control")}
    print(f"wrote {len(stream)} incidents ({truth['stream']['planted']} planted: {kinds}) to {args.out}; "
          f"truth to {args.truth}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
