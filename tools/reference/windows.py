"""Reference check of Vigil's sliding-window counts at sampled probes.

``vigil replay --probes N --probe-seed S --probe-output FILE`` writes, for N
sampled incidents, the counts that its windowed state holds right after the
incident was processed.  This module recomputes every one of those counts
directly from the definition, with numpy over the raw incidents, and reports
any difference.

Definition checked (horizon ``h`` and resolution ``r`` in seconds; times in
ms): for the probe at processed index ``i`` and key ``K``,

    count(K, h) = #{ j <= i : key(j) == K  and
                     bucket_r(t_i) - h/r < bucket_r(t_j) <= bucket_r(t_i) },
    bucket_r(t) = floor(t / (r * 1000)).

Key families: ``category_cell`` (category, cell), ``category_neighbourhood``
(category, neighbourhood) and ``cell`` (cell, all categories).  The horizons
are ``(900, 60), (3600, 300), (86400, 3600), (604800, 21600),
(2419200, 86400)``.

Besides the counts, each probe's ``id`` and ``event_time_ms`` must be those
of the incident at processed index ``i`` (which checks that both sides accept
the same incidents and order them the same way), and its 15 entries must be
exactly the windows of incident ``i``'s own keys.

Implementation: per family, the incidents' keys are factorised to integer
codes and the indices of each key are grouped once (stable argsort); for a
probe, the key's group is cut at ``j <= i`` with a binary search and the
bucket condition is evaluated on that slice, for each horizon.  Nothing relies
on the buckets being monotone in ``j``.

CLI (from ``tools/``)::

    python -m tools.reference.windows --probes probes.ndjson [--input train.csv --input test.csv]

prints ``N probes x 15 windows checked, M mismatches`` and exits 1 on any
mismatch (the first 10 printed in detail).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tools.vigil_tools.ndjson import iter_ndjson

from .common import (
    FAMILIES,
    HORIZONS,
    Grid,
    add_grid_arguments,
    cell_name,
    frame_from_incidents,
    grid_from_args,
    load_frame,
)

__all__ = ["WindowIndex", "reference_counts", "expected_counts", "main"]


@dataclass
class _Family:
    codes: np.ndarray      # key code per processed index (-1: no key)
    order: np.ndarray      # processed indices grouped by code, ascending within a group
    starts: np.ndarray     # group k is order[starts[k]:starts[k+1]]


class WindowIndex:
    """Precomputed key codes and bucket arrays for a frame of accepted incidents."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self.n = len(frame)
        self.ids = frame["id"].to_numpy(dtype=object)
        self.t = frame["t"].to_numpy(dtype=np.int64)
        self.category = frame["category"].to_numpy(dtype=object)
        self.neighbourhood = frame["neighbourhood"].to_numpy(dtype=object)
        self.cx = frame["cx"].to_numpy(dtype=np.int64)
        self.cy = frame["cy"].to_numpy(dtype=np.int64)
        self.cells = np.array([cell_name(x, y) for x, y in zip(self.cx.tolist(), self.cy.tolist())], dtype=object)
        # bucket_r(t) for each resolution: floor division (also right for t < 0)
        self.buckets = {r: np.floor_divide(self.t, r * 1000) for _, r in HORIZONS}
        cat = pd.Series(self.category)
        keys = {
            "category_cell": pd.MultiIndex.from_arrays([cat, self.cx, self.cy]),
            # an incident without a neighbourhood has no category_neighbourhood key
            "category_neighbourhood": pd.MultiIndex.from_arrays([cat, pd.Series(self.neighbourhood)]),
            "cell": pd.MultiIndex.from_arrays([self.cx, self.cy]),
        }
        self.families: dict[str, _Family] = {}
        for fam, mi in keys.items():
            codes, _ = pd.factorize(mi)
            codes = np.asarray(codes, dtype=np.int64)
            if fam == "category_neighbourhood":
                codes = np.where(pd.isna(self.neighbourhood), -1, codes)
            order = np.argsort(codes, kind="stable")
            k = int(codes.max()) + 1 if self.n else 0
            counts = np.bincount(codes[codes >= 0], minlength=k)
            n_missing = int((codes < 0).sum())
            starts = np.concatenate([[n_missing], n_missing + np.cumsum(counts)])
            self.families[fam] = _Family(codes, order, starts)

    def key_fields(self, family: str, i: int) -> dict[str, Any] | None:
        """The key of incident ``i`` in ``family`` as probe-record fields (None: no key)."""
        if family == "category_cell":
            return {"category": self.category[i], "cell": self.cells[i]}
        if family == "category_neighbourhood":
            if pd.isna(self.neighbourhood[i]):
                return None
            return {"category": self.category[i], "neighbourhood": self.neighbourhood[i]}
        if family == "cell":
            return {"cell": self.cells[i]}
        raise ValueError(family)

    def counts_at(self, family: str, i: int) -> dict[tuple[int, int], int] | None:
        """``{(h, r): count}`` for incident ``i``'s own key in ``family``."""
        fam = self.families[family]
        code = fam.codes[i]
        if code < 0:
            return None
        group = fam.order[fam.starts[code]:fam.starts[code + 1]]
        group = group[: np.searchsorted(group, i, side="right")]  # j <= i
        out = {}
        for h, r in HORIZONS:
            b = self.buckets[r]
            bi = b[i]
            bj = b[group]
            out[(h, r)] = int(np.count_nonzero((bj > bi - h // r) & (bj <= bi)))
        return out


def expected_counts(index: WindowIndex, i: int) -> list[dict[str, Any]]:
    """The 15 probe entries (family x horizon) Vigil should write for index ``i``."""
    entries = []
    for family in FAMILIES:
        fields = index.key_fields(family, i)
        counts = index.counts_at(family, i)
        if fields is None or counts is None:
            continue
        for h, r in HORIZONS:
            entries.append({"family": family, **fields, "horizon_s": h, "resolution_s": r,
                            "count": counts[(h, r)]})
    return entries


def _entry_key(entry: Any) -> tuple:
    """Order-independent, hashable identity of a probe entry (all fields but ``count``)."""
    if not isinstance(entry, dict):
        return (("entry", repr(entry)),)
    items = []
    for k, v in entry.items():
        if k == "count":
            continue
        try:
            hash(v)
        except TypeError:
            v = repr(v)
        items.append((k, v))
    return tuple(sorted(items, key=lambda kv: kv[0]))


def _as_index(incidents: Any, grid: Grid) -> WindowIndex:
    if isinstance(incidents, WindowIndex):
        return incidents
    if isinstance(incidents, pd.DataFrame):
        return WindowIndex(incidents)
    return WindowIndex(frame_from_incidents(list(incidents), grid))


def reference_counts(incidents: Any, probes_records: Iterable[dict[str, Any]],
                     grid: Grid = Grid()) -> list[dict[str, Any]]:
    """Compare probe records with counts recomputed from ``incidents``.

    ``incidents``: ``vigil_tools.toronto.Incident`` objects (any order; they
    are filtered and sorted here), a frame from :mod:`reference.common`, or a
    :class:`WindowIndex`.  Returns a list of mismatch dicts (empty: all agree);
    each has ``kind`` and the probe ``index`` plus details.
    """
    index = _as_index(incidents, grid)
    mismatches: list[dict[str, Any]] = []
    for rec in probes_records:
        i = rec.get("index")
        if not isinstance(i, int) or isinstance(i, bool) or not 0 <= i < index.n:
            mismatches.append({"kind": "index_out_of_range", "index": i, "id": rec.get("id"),
                               "n_incidents": index.n})
            continue
        if rec.get("id") != index.ids[i]:
            mismatches.append({"kind": "id", "index": i, "vigil": rec.get("id"), "reference": index.ids[i]})
        if rec.get("event_time_ms") != int(index.t[i]):
            mismatches.append({"kind": "event_time_ms", "index": i, "vigil": rec.get("event_time_ms"),
                               "reference": int(index.t[i])})
        expected = {_entry_key(e): e["count"] for e in expected_counts(index, i)}
        seen = set()
        counts = rec.get("counts")
        for e in counts if isinstance(counts, list) else []:
            key = _entry_key(e)
            if key in seen:
                mismatches.append({"kind": "duplicate_entry", "index": i, "entry": e})
                continue
            seen.add(key)
            if key not in expected:
                mismatches.append({"kind": "unexpected_entry", "index": i, "entry": e,
                                   "keys": {f: index.key_fields(f, i) for f in FAMILIES}})
                continue
            if e.get("count") != expected[key]:
                mismatches.append({"kind": "count", "index": i, "id": index.ids[i], "window": dict(key),
                                   "vigil": e.get("count"), "reference": expected[key]})
        for key, count in expected.items():
            if key not in seen:
                mismatches.append({"kind": "missing_entry", "index": i, "window": dict(key), "reference": count})
    return mismatches


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.reference.windows", description=__doc__.split("\n\n")[0])
    p.add_argument("--probes", required=True, help="probe NDJSON written by vigil replay --probe-output")
    add_grid_arguments(p)
    args = p.parse_args(argv)
    grid = grid_from_args(args)
    records = list(iter_ndjson(args.probes))
    index = WindowIndex(load_frame(args.input, grid))
    mismatches = reference_counts(index, records, grid)
    n_windows = len(FAMILIES) * len(HORIZONS)
    print(f"{len(records)} probes x {n_windows} windows checked, {len(mismatches)} mismatches")
    kinds: dict[str, int] = {}
    for m in mismatches:
        kinds[m["kind"]] = kinds.get(m["kind"], 0) + 1
    if kinds:
        print("by kind: " + ", ".join(f"{k}={v}" for k, v in sorted(kinds.items())))
    for m in mismatches[:10]:
        print("  " + json.dumps(m, ensure_ascii=False, default=str))
    if not records:
        print("no probes in the file", file=sys.stderr)
        return 1
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
