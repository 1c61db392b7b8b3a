"""Offline twin of Vigil's emerging-cluster scan: O, E, LLR and surprise from the input file alone.

An independent numpy/pandas implementation of the statistic specified in
docs/CLUSTERS.md ("The specification"; shared with the Swift side as
CLUSTERS-SPEC), written from the specification, not from the Swift sources.
Summary:

* Incidents are processed in (event time, id) order (``vigil replay``'s
  default), only the accepted ones (``common.load_frame``).  Hour
  ``h = floor(t / 3600000)``, week ``w = floor(h / 168)``, hour of week
  ``k = h mod 168``.  Layers: ``all`` and one per category.
* An incident is an *occurrence* of a layer unless the last occurrence of
  that layer counted at the identical point (lat, lon) is less than
  ``max(repeat_window, 1 ms)`` away in event time (default 0: only rows
  at the same point and time collapse).
* Each occurrence x (cell cx, hour hx) of layer L triggers an evaluation of
  the cylinders D(cx, r) x {hx-d+1 .. hx}, r = 0..R (R = floor(max_radius_m /
  cell_size_m)), d in durations_hours; disc cells have dx^2 + dy^2 <= r^2.
  ``O`` counts occurrences of L processed so far (x included) in the cylinder.
* Baseline weeks B = wc-53 .. wc-2, recent weeks wc-4 .. wc-1 (wc = w(hx)).
  ``n_D`` = occurrences of L in D during B; ``N`` = city-wide occurrences of L
  during B; ``Wa`` = weeks of B with an occurrence of ``all``; no
  evaluation of L when ``N = 0`` or ``Wa < minimum_baseline_weeks``; ``q(k) = (city-wide L at hour of week k in B + 1) / ((N + 168)
  / 168)``; ``S = sum over the cylinder's hours of q(k(h)) / 168``;
  ``level = (recent + 1) / (4 N / Wa + 1)``; ``a = prior_per_cell_year / 52 *
  N / N_all``; ``E = level * S * (n_D / Wa + a |D|)``;
  ``LLR = O ln(O/E) - (O - E)`` if O > E else 0; ``surprise = -ln P(N >= O)``
  for N negative binomial with mean E and shape ``Wa (n_D / Wa + a |D|)`` if
  O > E else 0 (scipy's ``nbinom.logsf``).
* An incident's finding: over its evaluations (``all`` first, then its
  category) the candidate (O >= minimum_observed) with the largest surprise > 0;
  ties keep the earlier (layer ``all``, smaller r, smaller d).

Everything is vectorised: occurrences are keyed by (layer, cell) and sorted,
so each cylinder count is two ``searchsorted`` calls; the baseline sums come
from cumulative per-week tables.

CLI (from ``tools/``): recompute every probe line of ``vigil replay
--cluster-probes`` and compare::

    python -m tools.reference.clusters_twin --input slice.ndjson --config Config/vigil.toml \\
        --probes probes.ndjson [--every N]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import gammaln
from scipy.stats import nbinom

from tools.vigil_tools.ndjson import iter_ndjson

from .common import HOUR_MS, Grid, cell_name, frame_from_ndjson

WEEK_HOURS = 168
BASELINE_FIRST, BASELINE_LAST = 53, 2   # B = wc-53 .. wc-2
RECENT_WEEKS = 4                        # wc-4 .. wc-1
ALL = "all"


@dataclass(frozen=True)
class ScanParams:
    """The spec's parameters (defaults as in the spec)."""

    cell_size_m: float = 250.0
    bbox: tuple[float, float, float, float] = (43.58, -79.64, 43.86, -79.11)
    max_radius_m: float = 750.0
    durations_hours: tuple[int, ...] = (1, 3, 6, 12, 24, 48, 72, 168)
    prior_per_cell_year: float = 0.5
    minimum_observed: int = 3
    minimum_baseline_weeks: int = 8
    repeat_window_ms: int = 0

    @property
    def grid(self) -> Grid:
        s, w, n, e = self.bbox
        return Grid(s, w, n, e, self.cell_size_m)

    @property
    def max_radius_cells(self) -> int:
        return int(math.floor(self.max_radius_m / self.cell_size_m))

    @staticmethod
    def from_config(path: str | Path | None) -> ScanParams:
        """Grid and ``[clusters]`` keys of a Vigil TOML file (missing keys: spec defaults)."""
        if path is None:
            return ScanParams()
        with open(path, "rb") as f:
            doc = tomllib.load(f)
        g, c, d = doc.get("grid", {}), doc.get("clusters", {}), ScanParams()
        if "durations" in c:
            durs = [parse_hours(v) for v in c["durations"]]
        else:
            durs = c.get("durations_hours", d.durations_hours)
        return ScanParams(
            cell_size_m=float(g.get("cell_size_m", d.cell_size_m)),
            bbox=tuple(float(v) for v in g.get("bbox", d.bbox)),  # type: ignore[arg-type]
            max_radius_m=float(c.get("max_radius_m", d.max_radius_m)),
            durations_hours=tuple(int(v) for v in durs),
            prior_per_cell_year=float(c.get("prior_per_cell_year", d.prior_per_cell_year)),
            minimum_observed=int(c.get("minimum_observed", d.minimum_observed)),
            minimum_baseline_weeks=int(c.get("minimum_baseline_weeks", d.minimum_baseline_weeks)),
            repeat_window_ms=parse_ms(c["repeat_window"]) if "repeat_window" in c else d.repeat_window_ms,
        )


_UNIT_HOURS = {"h": 1, "d": 24, "w": 168}


def parse_hours(text: Any) -> int:
    """Whole hours of a duration like ``"1h"``, ``"3d"``, ``"1w"`` (or a number of hours)."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return int(text)
    t = str(text).strip()
    if t[-1:] in _UNIT_HOURS and t[:-1].isdigit():
        return int(t[:-1]) * _UNIT_HOURS[t[-1]]
    raise ValueError(f"not a whole number of hours: {text!r}")


_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": HOUR_MS, "d": 24 * HOUR_MS, "w": 168 * HOUR_MS}


def parse_ms(text: Any) -> int:
    """Milliseconds of a duration like ``"24h"``, ``"90m"``, ``"0h"``."""
    t = str(text).strip()
    for unit in ("ms", "s", "m", "h", "d", "w"):
        if t.endswith(unit) and t[: -len(unit)].isdigit():
            return int(t[: -len(unit)]) * _UNIT_MS[unit]
    raise ValueError(f"not a duration: {text!r}")


def occurrence_flags(group: np.ndarray, t: np.ndarray, window_ms: int) -> np.ndarray:
    """Occurrence flag of each row (rows in processing order; ``group`` = layer-and-point code).

    A row counts unless the last *counted* row of its group is less than
    ``max(window_ms, 1)`` away in event time.
    """
    n = len(t)
    w = max(int(window_ms), 1)
    order = np.lexsort((np.arange(n), group))
    gs, ts = group[order], t[order]
    flags = np.ones(n, dtype=bool)
    if n:
        starts = np.flatnonzero(np.r_[True, gs[1:] != gs[:-1]])
        ends = np.r_[starts[1:], n]
        for a, b in zip(starts[ends - starts > 1].tolist(), ends[ends - starts > 1].tolist()):
            last = ts[a]
            for i in range(a + 1, b):
                if abs(int(ts[i]) - int(last)) < w:
                    flags[i] = False
                else:
                    last = ts[i]
    out = np.empty(n, dtype=bool)
    out[order] = flags
    return out


def nb_surprise(observed: np.ndarray, expected: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """-ln P(N >= O) for N negative binomial with mean E and shape ``weight`` (0 unless O > E).

    scipy's ``nbinom.logsf`` (an incomplete beta function); where that underflows (a tail below
    about 1e-308), a log-space sum of the pmf over the next 400 counts, in closed form per term.
    """
    O = np.asarray(observed, np.float64)
    E = np.asarray(expected, np.float64)
    a = np.asarray(weight, np.float64)
    out = np.zeros(np.broadcast(O, E, a).shape)
    ok = (O > E) & (E > 0) & (a > 0)
    if not ok.any():
        return out
    o, e, w = (np.broadcast_to(v, out.shape)[ok] for v in (O, E, a))
    p_nb = w / (w + e)                    # scipy's n, p: mean n (1 - p) / p = E
    val = -nbinom.logsf(o - 1, w, p_nb)
    bad = ~np.isfinite(val)
    if bad.any():
        k = o[bad][:, None] + np.arange(400)[None, :]
        wb, pb = w[bad][:, None], p_nb[bad][:, None]
        logpmf = gammaln(k + wb) - gammaln(wb) - gammaln(k + 1) + wb * np.log(pb) + k * np.log1p(-pb)
        mx = logpmf.max(axis=1, keepdims=True)
        val[bad] = -(mx[:, 0] + np.log(np.exp(logpmf - mx).sum(axis=1)))
    out[ok] = np.maximum(val, 0.0)
    return out


def disc_offsets(r: int) -> np.ndarray:
    """(dx, dy) with dx^2 + dy^2 <= r^2, as an (n, 2) array (1, 5, 13, 29 cells for r = 0..3)."""
    d = np.arange(-r, r + 1)
    dx, dy = np.meshgrid(d, d, indexing="ij")
    m = dx * dx + dy * dy <= r * r
    return np.column_stack([dx[m], dy[m]])


def _floor_div(a: np.ndarray, b: int) -> np.ndarray:
    return np.floor_divide(a, b)


@dataclass
class _Layer:
    """Occurrences of one layer: sorted (cell key, processing index) and weekly tables."""

    name: str
    code: int
    idx: np.ndarray       # processing index of each occurrence
    key: np.ndarray       # cell key
    hour: np.ndarray
    week: np.ndarray


@dataclass
class ClusterTwin:
    """The spec's O, E, LLR for any evaluation of a frame (``common`` frame, processing order)."""

    frame: pd.DataFrame
    params: ScanParams = field(default_factory=ScanParams)

    def __post_init__(self) -> None:
        df = self.frame
        t = df["t"].to_numpy(np.int64)
        if len(t) > 1 and np.any(np.diff(t) < 0):
            raise ValueError("the twin needs the frame in event-time order (vigil replay's default order)")
        self.n = len(df)
        self.hour = _floor_div(t, HOUR_MS)
        self.week = _floor_div(self.hour, WEEK_HOURS)
        self.cx = df["cx"].to_numpy(np.int64)
        self.cy = df["cy"].to_numpy(np.int64)
        self.ids = df["id"].to_numpy(dtype=object)
        cats = df["category"].to_numpy(dtype=object)
        self.layer_names = [ALL] + sorted(set(cats.tolist()))
        self.layer_code = {name: k for k, name in enumerate(self.layer_names)}
        self.cat_code = np.array([self.layer_code[c] for c in cats], dtype=np.int64)
        lat, lon = df["lat"].to_numpy(np.float64), df["lon"].to_numpy(np.float64)
        # occurrence flags per layer: the repeat rule at each point
        pts = pd.DataFrame({"lat": lat, "lon": lon})
        g_all = pts.groupby(["lat", "lon"], sort=False).ngroup().to_numpy()
        g_cat = pts.assign(c=self.cat_code).groupby(["c", "lat", "lon"], sort=False).ngroup().to_numpy()
        self.occ_all = occurrence_flags(g_all, t, self.params.repeat_window_ms)
        self.occ_cat = occurrence_flags(g_cat, t, self.params.repeat_window_ms)
        # cell keys: offset so disc cells around any incident stay non-negative
        R = self.params.max_radius_cells
        self.x0, self.y0 = (int(self.cx.min()) - R, int(self.cy.min()) - R) if self.n else (0, 0)
        self.width = (int(self.cx.max()) - self.x0 + R + 1) if self.n else 1
        self.height = (int(self.cy.max()) - self.y0 + R + 1) if self.n else 1
        self.ncells = self.width * self.height
        self.w0 = int(self.week.min()) - BASELINE_FIRST - 1 if self.n else 0
        self.nweeks = (int(self.week.max()) - self.w0 + 2) if self.n else 1
        # per layer arrays (occurrences), layer 0 = all
        layer = np.concatenate([np.zeros(int(self.occ_all.sum()), np.int64), self.cat_code[self.occ_cat]])
        rows = np.concatenate([np.flatnonzero(self.occ_all), np.flatnonzero(self.occ_cat)])
        self.occ_layer, self.occ_row = layer, rows
        cellkey = (self.cx[rows] - self.x0) * self.height + (self.cy[rows] - self.y0)
        self._span = max(self.n, 1) + 1
        big_key = layer * self.ncells + cellkey
        order = np.lexsort((rows, big_key))
        self.s_key = big_key[order]
        self.s_row = rows[order]
        self.s_hour = self.hour[rows][order]
        self.s_week = self.week[rows][order]
        # hours and weeks are nondecreasing within a key because rows are in time order
        self.h0 = int(self.hour.min()) - 1 if self.n else 0
        hspan = (int(self.hour.max()) - self.h0 + 2) if self.n else 2
        self._hspan = hspan
        self.comp_row = self.s_key * self._span + self.s_row
        self.comp_hour = self.s_key * hspan + (self.s_hour - self.h0)
        wspan = self.nweeks + 1
        self._wspan = wspan
        self.comp_week = self.s_key * wspan + (self.s_week - self.w0)
        # weekly city-wide tables per layer: counts, and counts by hour of week (cumulative over weeks)
        L = len(self.layer_names)
        wk = self.week[rows] - self.w0
        hk = np.mod(self.hour[rows], WEEK_HOURS)
        weekly = np.zeros((L, self.nweeks), np.int64)
        np.add.at(weekly, (layer, wk), 1)
        self.cum_weekly = np.concatenate([np.zeros((L, 1), np.int64), np.cumsum(weekly, axis=1)], axis=1)
        has_all = (weekly[0] > 0).astype(np.int64)
        self.cum_weeks_with_data = np.concatenate([[0], np.cumsum(has_all)])
        how = np.zeros((L, self.nweeks, WEEK_HOURS), np.int64)
        np.add.at(how, (layer, wk, hk), 1)
        self.cum_how = np.concatenate([np.zeros((L, 1, WEEK_HOURS), np.int64), np.cumsum(how, axis=1)], axis=1)

    # -- evaluations ----------------------------------------------------------------------------

    def evaluations(self, category_first: bool = False) -> pd.DataFrame:
        """Every evaluation in processing order: ``eval, row, id, layer, layer_code, cell, hour``.

        Within one incident the ``all`` evaluation comes first (or the category
        one with ``category_first``); evaluations without baseline (``N = 0``
        for the layer, or ``Wa < minimum_baseline_weeks``) are left out.
        """
        rows_all = np.flatnonzero(self.occ_all)
        rows_cat = np.flatnonzero(self.occ_cat)
        rows = np.concatenate([rows_all, rows_cat])
        lay = np.concatenate([np.zeros(len(rows_all), np.int64), self.cat_code[rows_cat]])
        second = np.concatenate([np.zeros(len(rows_all), np.int64), np.ones(len(rows_cat), np.int64)])
        if category_first:
            second = 1 - second
        order = np.lexsort((second, rows))
        rows, lay = rows[order], lay[order]
        wc = self.week[rows]
        wa = self._weeks_with_data(wc)
        n_layer = self._weekly_sum(lay, wc - BASELINE_FIRST, wc - BASELINE_LAST)
        keep = (wa >= max(1, self.params.minimum_baseline_weeks)) & (n_layer > 0)
        rows, lay = rows[keep], lay[keep]
        return pd.DataFrame({
            "eval": np.arange(len(rows)), "row": rows, "id": self.ids[rows],
            "layer": np.array(self.layer_names, dtype=object)[lay], "layer_code": lay,
            "cell": [cell_name(a, b) for a, b in zip(self.cx[rows].tolist(), self.cy[rows].tolist())],
            "hour": self.hour[rows],
        })

    def _weeks_with_data(self, wc: np.ndarray) -> np.ndarray:
        lo = np.clip(wc - BASELINE_FIRST - self.w0, 0, self.nweeks)
        hi = np.clip(wc - BASELINE_LAST + 1 - self.w0, 0, self.nweeks)
        return self.cum_weeks_with_data[hi] - self.cum_weeks_with_data[lo]

    def _weekly_sum(self, lay: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
        lo = np.clip(first - self.w0, 0, self.nweeks)
        hi = np.clip(last + 1 - self.w0, 0, self.nweeks)
        return self.cum_weekly[lay, hi] - self.cum_weekly[lay, lo]

    def cylinders(self, rows: np.ndarray, layers: np.ndarray) -> pd.DataFrame:
        """O, E, LLR and surprise of every (r, d) cylinder of the evaluations (row, layer code)."""
        p = self.params
        rows = np.asarray(rows, np.int64)
        lay = np.asarray(layers, np.int64)
        m = len(rows)
        hx, wc = self.hour[rows], self.week[rows]
        # city-wide baseline quantities per evaluation
        N = self._weekly_sum(lay, wc - BASELINE_FIRST, wc - BASELINE_LAST).astype(np.float64)
        N_all = self._weekly_sum(np.zeros(m, np.int64), wc - BASELINE_FIRST, wc - BASELINE_LAST).astype(np.float64)
        Wa = self._weeks_with_data(wc).astype(np.float64)
        recent = self._weekly_sum(lay, wc - RECENT_WEEKS, wc - 1).astype(np.float64)
        level = (recent + 1.0) / (4.0 * N / Wa + 1.0)
        a = p.prior_per_cell_year / 52.0 * (N / N_all)
        lo = np.clip(wc - BASELINE_FIRST - self.w0, 0, self.nweeks)
        hi = np.clip(wc - BASELINE_LAST + 1 - self.w0, 0, self.nweeks)
        how = (self.cum_how[lay, hi] - self.cum_how[lay, lo]).astype(np.float64)     # (m, 168)
        q = (how + 1.0) / ((N[:, None] + WEEK_HOURS) / WEEK_HOURS)
        out = []
        cell0 = (self.cx[rows] - self.x0) * self.height + (self.cy[rows] - self.y0)
        for r in range(p.max_radius_cells + 1):
            offs = disc_offsets(r)
            keys = (lay[:, None] * self.ncells + cell0[:, None]
                    + offs[:, 0][None, :] * self.height + offs[:, 1][None, :])          # (m, |D|)
            # n_D: occurrences in the disc during B (all processed before x: earlier weeks)
            wk_lo = keys * self._wspan + np.clip(wc - BASELINE_FIRST - self.w0, 0, None)[:, None]
            wk_hi = keys * self._wspan + np.clip(wc - BASELINE_LAST + 1 - self.w0, 0, None)[:, None]
            nD = (np.searchsorted(self.comp_week, wk_hi, "left")
                  - np.searchsorted(self.comp_week, wk_lo, "left")).sum(axis=1).astype(np.float64)
            base = nD / Wa + a * len(offs)
            done = np.searchsorted(self.comp_row, keys * self._span + rows[:, None], "right")
            for d in p.durations_hours:
                first_h = np.maximum(hx - d + 1 - self.h0, 0)
                start = np.searchsorted(self.comp_hour, keys * self._hspan + first_h[:, None], "left")
                O = np.maximum(done - start, 0).sum(axis=1)
                k = np.mod(hx[:, None] - np.arange(d)[None, :], WEEK_HOURS)
                S = np.take_along_axis(q, k, axis=1).sum(axis=1) / WEEK_HOURS
                E = level * S * base
                with np.errstate(divide="ignore", invalid="ignore"):
                    Of = O.astype(np.float64)
                    llr = np.where(Of > E, Of * np.log(Of / E) - (Of - E), 0.0)
                surprise = nb_surprise(Of, E, Wa * base)
                out.append(pd.DataFrame({"row": rows, "layer_code": lay, "radius_cells": r, "duration_h": d,
                                         "observed": O, "expected": E, "llr": llr, "surprise": surprise,
                                         "cells": len(offs)}))
        res = pd.concat(out, ignore_index=True)
        res["incident"] = self.ids[res["row"].to_numpy()]
        res["layer"] = np.array(self.layer_names, dtype=object)[res["layer_code"].to_numpy()]
        return res

    def findings(self, rows: np.ndarray, layers: np.ndarray) -> pd.DataFrame:
        """Each incident's finding over its evaluations (``rows``/``layers`` as from :meth:`evaluations`).

        The candidate (O >= minimum_observed, surprise > 0) with the largest surprise;
        ties keep the earlier: layer ``all`` before the category, smaller
        radius, then smaller duration.  Incidents without a candidate are left out.
        """
        c = self.cylinders(rows, layers)
        c = c[(c["observed"] >= self.params.minimum_observed) & (c["surprise"] > 0)]
        c = c.assign(layer_rank=(c["layer_code"] != 0).astype(np.int64))
        c = c.sort_values(["row", "surprise", "layer_rank", "radius_cells", "duration_h"],
                          ascending=[True, False, True, True, True], kind="mergesort")
        return c.drop_duplicates(["row"], keep="first").drop(columns="layer_rank").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Comparison with vigil's probe records


def read_probes(path: str | Path) -> pd.DataFrame:
    recs = list(iter_ndjson(path))
    df = pd.DataFrame.from_records(recs)
    need = {"incident", "layer", "cell", "hour", "radius_cells", "duration_h", "observed", "expected", "llr",
            "surprise"}
    missing = need - set(df.columns) if len(df) else need
    if missing:
        raise ValueError(f"{path}: probe records lack {sorted(missing)}")
    return df


@dataclass
class Comparison:
    lines: int
    evaluations: int
    mismatches: pd.DataFrame
    unknown: pd.DataFrame          # probe (incident, layer) pairs that are no evaluation of the twin
    incomplete: list[tuple[str, str]]   # evaluations without every (r, d) line
    stride: str | None             # "all-first offset c" / "category-first offset c" when every N-th fits

    @property
    def ok(self) -> bool:
        return self.lines > 0 and self.mismatches.empty and self.unknown.empty and not self.incomplete


def compare(twin: ClusterTwin, probes: pd.DataFrame, every: int | None = None,
            rel: float = 1e-9, llr_abs: float = 1e-12) -> Comparison:
    """Recompute each probe line; O exact, E, LLR and surprise to ``rel`` (LLR and surprise also
    ``llr_abs`` absolute)."""
    ev = twin.evaluations()
    known = ev.set_index(["id", "layer"])
    pairs = probes[["incident", "layer"]].drop_duplicates()
    idx = pd.MultiIndex.from_frame(pairs.rename(columns={"incident": "id"}))
    present = idx.isin(known.index)
    unknown = pairs[~present]
    hit = known.loc[idx[present]]
    mine = twin.cylinders(hit["row"].to_numpy(), hit["layer_code"].to_numpy())
    mine["cell"] = [cell_name(twin.cx[r], twin.cy[r]) for r in mine["row"].tolist()]
    mine["hour_twin"] = twin.hour[mine["row"].to_numpy()]
    j = probes.merge(mine, on=["incident", "layer", "radius_cells", "duration_h"], how="left",
                     suffixes=("", "_twin"), indicator=True)
    j = j[j["_merge"] == "both"]
    bad = ((j["observed"] != j["observed_twin"]) | (j["cell"] != j["cell_twin"]) | (j["hour"] != j["hour_twin"])
           | ~np.isclose(j["expected"], j["expected_twin"], rtol=rel, atol=0)
           | ~np.isclose(j["llr"], j["llr_twin"], rtol=rel, atol=llr_abs)
           | ~np.isclose(j["surprise"], j["surprise_twin"], rtol=rel, atol=llr_abs))
    mism = j[bad][["incident", "layer", "cell", "cell_twin", "hour", "hour_twin", "radius_cells", "duration_h",
                   "observed", "observed_twin", "expected", "expected_twin", "llr", "llr_twin", "surprise",
                   "surprise_twin"]]
    full = {(r, d) for r in range(twin.params.max_radius_cells + 1) for d in twin.params.durations_hours}
    incomplete = [k for k, g in probes.groupby(["incident", "layer"])
                  if len(g) != len(full) or set(zip(g["radius_cells"], g["duration_h"])) != full]
    stride = None
    if every:
        probed = set(map(tuple, pairs.to_numpy().tolist()))
        for label, cf in (("all-first", False), ("category-first", True)):
            e = twin.evaluations(category_first=cf)
            for c in range(every):
                sel = e[e["eval"] % every == c]
                if len(sel) == len(probed) and set(zip(sel["id"], sel["layer"])) == probed:
                    stride = f"{label} offset {c}"
                    break
            if stride:
                break
    return Comparison(len(probes), len(pairs), mism, unknown, incomplete, stride)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.reference.clusters_twin", description=__doc__.split("\n\n")[0])
    p.add_argument("--input", required=True, help="the canonical NDJSON given to vigil replay")
    p.add_argument("--config", help="the Vigil TOML given to vigil replay (grid, [clusters]); default: spec defaults")
    p.add_argument("--probes", help="vigil replay --cluster-probes output to check")
    p.add_argument("--every", type=int, help="the --cluster-probe-every N used (checks which evaluations were probed)")
    p.add_argument("--write-probes", help="write the twin's own probe lines for every N-th evaluation here")
    args = p.parse_args(argv)
    params = ScanParams.from_config(args.config)
    twin = ClusterTwin(frame_from_ndjson(args.input, params.grid), params)
    if args.write_probes:
        ev = twin.evaluations()
        sel = ev[ev["eval"] % (args.every or 1) == 0]
        c = twin.cylinders(sel["row"].to_numpy(), sel["layer_code"].to_numpy())
        c = c.sort_values(["row", "layer_code", "radius_cells", "duration_h"], kind="mergesort")
        with open(args.write_probes, "w", encoding="utf-8") as f:
            for rec in c.itertuples():
                f.write(json.dumps({"incident": rec.incident, "layer": rec.layer,
                                    "cell": cell_name(twin.cx[rec.row], twin.cy[rec.row]),
                                    "hour": int(twin.hour[rec.row]), "radius_cells": rec.radius_cells,
                                    "duration_h": rec.duration_h, "observed": int(rec.observed),
                                    "expected": rec.expected, "llr": rec.llr, "surprise": rec.surprise}) + "\n")
    if args.probes:
        cmp = compare(twin, read_probes(args.probes), args.every)
        print(f"probe lines {cmp.lines}, evaluations {cmp.evaluations}, mismatches {len(cmp.mismatches)}, "
              f"unknown evaluations {len(cmp.unknown)}, incomplete {len(cmp.incomplete)}, "
              f"stride {cmp.stride or '-'}")
        if not cmp.mismatches.empty:
            print(cmp.mismatches.head(20).to_string())
        return 0 if cmp.ok else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
