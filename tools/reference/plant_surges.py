"""Build a test stream: real Toronto incidents plus planted surges, with the truth.

The surge detector is hard to check against a formula (its baseline is a
model), so it is checked by *recall on planted surges*: a copy of the real
stream with K known, compact bursts added.  ``reference.score_surges`` then
asks whether Vigil raised a ``surge`` alert for each of them.

Construction (all randomness from ``numpy.random.default_rng(--seed)``):

* the stream is every real incident whose event time lies in
  ``[--from 00:00Z, --to + 1 day 00:00Z)`` (dates are UTC days, both
  inclusive; default 2019-01-01..2021-12-31);
* surge ``k`` picks a random real incident of that stream with a category
  and a neighbourhood as its *anchor* (with ``--warmup-days W``, only from
  incidents at least W days after the stream's start); the surge has the anchor's category and
  neighbourhood and starts at the anchor's time rounded down to the (UTC)
  hour: ``start_ms``; ``end_ms = start_ms + span`` (``--span-hours``,
  default 3);
* it adds ``--size`` (default 8) incidents ``planted-{k:04d}-{j:02d}`` at
  evenly spaced times ``start_ms + floor(j * span / size)`` (all in
  ``[start_ms, end_ms)``), each with the location and premises of a real
  incident of the same neighbourhood drawn at random (with replacement);
* two surges with the same (category, neighbourhood) never start less than
  7 days apart (a conflicting draw is discarded and redrawn), so one alert
  cannot be credited to two surges and the surges do not inflate each other's
  baselines within a week.

Output: canonical incident NDJSON (``--out``) sorted by (event time, id),
every ``event_time`` written as RFC 3339 UTC (``...Z``), and the truth JSON
(``--truth``): a list of ``{surge, category, neighbourhood, start_ms, end_ms,
ids, anchor_id}``.

CLI (from ``tools/``)::

    python -m tools.reference.plant_surges --out planted.ndjson --truth truth.json \\
        [--from 2019-01-01 --to 2021-12-31 --surges 200 --size 8 --span-hours 3 --seed 1]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from tools.vigil_tools.ndjson import iter_ndjson, write_ndjson

from .common import HOUR_MS, format_rfc3339_ms, parse_rfc3339_ms

WEEK_MS = 7 * 24 * HOUR_MS
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CANONICAL_KEYS = ("id", "event_time", "category", "premises", "neighbourhood", "lat", "lon", "source")


def day_start_ms(d: date) -> int:
    return int((datetime(d.year, d.month, d.day, tzinfo=UTC) - _EPOCH) // timedelta(milliseconds=1))


def canonical(obj: dict[str, Any], t_ms: int) -> dict[str, Any]:
    """The incident object with ``event_time`` as RFC 3339 UTC, keys in canonical order."""
    out = {}
    for k in CANONICAL_KEYS:
        if k == "event_time":
            out[k] = format_rfc3339_ms(t_ms)
        elif k in obj and obj[k] is not None:
            out[k] = obj[k]
    for k, v in obj.items():  # unknown extra fields pass through
        if k not in out and k not in CANONICAL_KEYS:
            out[k] = v
    return out


def plant(records: Iterable[tuple[dict[str, Any], int | None]], *, surges: int = 200, size: int = 8,
          span_hours: float = 3.0, seed: int = 1, start: date = date(2019, 1, 1),
          end: date = date(2021, 12, 31), warmup_days: float = 0.0, max_tries: int | None = None
          ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return ``(stream, truth)``: canonical objects sorted by (time, id), and the truth list.

    ``records`` are ``(obj, epoch_ms)`` pairs of real incidents (any order).
    Anchors are drawn only from incidents at least ``warmup_days`` after the
    start of the stream (the stream itself still starts at ``start``).
    """
    if size < 1 or surges < 0 or span_hours <= 0:
        raise ValueError("need size >= 1, surges >= 0, span_hours > 0")
    lo, hi = day_start_ms(start), day_start_ms(end + timedelta(days=1))
    real = [(obj, t) for obj, t in records if t is not None and lo <= t < hi]
    n = len(real)
    t_arr = np.fromiter((t for _, t in real), np.int64, n)
    cats = [o.get("category") for o, _ in real]
    hoods = [o.get("neighbourhood") for o, _ in real]

    def usable(o: dict[str, Any]) -> bool:
        return all(isinstance(o.get(k), str) and o.get(k) for k in ("category", "neighbourhood")) \
            and isinstance(o.get("lat"), (int, float)) and isinstance(o.get("lon"), (int, float))

    first_anchor_ms = lo + int(round(warmup_days * 24 * HOUR_MS))
    anchors = np.array([k for k, (o, t) in enumerate(real) if usable(o) and t >= first_anchor_ms], dtype=np.int64)
    by_hood: dict[str, list[int]] = {}  # location pool: the whole range, not just anchors
    for k in (k for k, (o, _) in enumerate(real) if usable(o)):
        by_hood.setdefault(hoods[k], []).append(k)
    if surges and not len(anchors):
        raise ValueError("no usable anchor incidents in the date range")

    rng = np.random.default_rng(seed)
    span_ms = int(round(span_hours * HOUR_MS))
    taken: dict[tuple[str, str], list[int]] = {}
    truth: list[dict[str, Any]] = []
    planted: list[tuple[dict[str, Any], int]] = []
    tries = 0
    limit = max_tries if max_tries is not None else 1000 * max(surges, 1)
    while len(truth) < surges:
        tries += 1
        if tries > limit:
            raise RuntimeError(f"could not place {surges} non-overlapping surges in {limit} draws")
        a = int(anchors[rng.integers(len(anchors))])
        key = (cats[a], hoods[a])
        s0 = int(t_arr[a]) // HOUR_MS * HOUR_MS
        if any(abs(s0 - other) < WEEK_MS for other in taken.get(key, [])):
            continue
        taken.setdefault(key, []).append(s0)
        k = len(truth)
        pool = by_hood[hoods[a]]
        ids = []
        for j in range(size):
            src = real[pool[int(rng.integers(len(pool)))]][0]
            pid = f"planted-{k:04d}-{j:02d}"
            t = s0 + (j * span_ms) // size
            obj = {"id": pid, "category": cats[a], "premises": src.get("premises"),
                   "neighbourhood": hoods[a], "lat": src["lat"], "lon": src["lon"], "source": "planted"}
            planted.append((obj, t))
            ids.append(pid)
        truth.append({"surge": k, "category": cats[a], "neighbourhood": hoods[a], "start_ms": s0,
                      "end_ms": s0 + span_ms, "ids": ids, "anchor_id": real[a][0].get("id")})

    allrec = real + planted
    ts = np.fromiter((t for _, t in allrec), np.int64, len(allrec))
    _, id_rank = np.unique(np.array([o.get("id", "") for o, _ in allrec], dtype=object), return_inverse=True)
    order = np.lexsort((id_rank.ravel(), ts))
    stream = [canonical(allrec[k][0], allrec[k][1]) for k in order.tolist()]
    return stream, truth


def load_records(inputs: Sequence[str]) -> list[tuple[dict[str, Any], int | None]]:
    """Real incidents: the packaged Toronto data, or the given CSV / NDJSON files."""
    from tools.vigil_tools import toronto

    if not inputs:
        return [(i.obj, i.epoch_ms) for i in toronto.load_incidents()]
    out: list[tuple[dict[str, Any], int | None]] = []
    for p in map(Path, inputs):
        if p.suffix.lower() == ".csv":
            out += [(i.obj, i.epoch_ms) for i in toronto.load_csv(p, p.stem)]
        else:
            out += [(o, parse_rfc3339_ms(o.get("event_time"))) for o in iter_ndjson(p) if isinstance(o, dict)]
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.reference.plant_surges", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, help="stream NDJSON to write")
    p.add_argument("--truth", required=True, help="truth JSON to write")
    p.add_argument("--from", dest="start", type=date.fromisoformat, default=date(2019, 1, 1))
    p.add_argument("--to", dest="end", type=date.fromisoformat, default=date(2021, 12, 31))
    p.add_argument("--surges", type=int, default=200)
    p.add_argument("--size", type=int, default=8)
    p.add_argument("--span-hours", type=float, default=3.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--warmup-days", type=float, default=0.0,
                   help="draw anchors only this many days after --from (lets the detector's trailing "
                        "baseline fill; default 0)")
    p.add_argument("--input", action="append", default=[], metavar="FILE",
                   help="real incidents (.csv Toronto layout or canonical NDJSON); default: packaged data")
    args = p.parse_args(argv)
    stream, truth = plant(load_records(args.input), surges=args.surges, size=args.size,
                          span_hours=args.span_hours, seed=args.seed, start=args.start, end=args.end,
                          warmup_days=args.warmup_days)
    write_ndjson(args.out, stream)
    with open(args.truth, "w", encoding="utf-8") as f:
        json.dump(truth, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(stream)} incidents ({len(stream) - len(truth) * args.size} real, "
          f"{len(truth)} surges x {args.size} planted) to {args.out}; truth to {args.truth}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
