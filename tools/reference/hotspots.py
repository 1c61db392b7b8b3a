"""Reference check of Vigil's Getis-Ord Gi* hot cells and hotspot components.

``vigil replay --hotspots-output FILE`` writes the final hotspot evaluation:
day ``D`` (UTC day of the last event), the hot cells with their counts, local
sums and Gi* values, and the hotspots (8-connected components of hot cells).
This module recomputes all of it from the raw incidents and compares.

Definition checked.  ``x_c`` = number of accepted incidents in cell ``c``
whose UTC day ``floor(t / 86400000)`` lies in ``(D - 28, D]``.  Over the
universe of ``n = columns * rows`` cells (cells without events have
``x = 0``): ``Xbar = sum(x)/n`` and ``S = sqrt(sum(x^2)/n - Xbar^2)``.  For
cell ``i``, ``N(i)`` is the 3x3 block around ``i`` clipped to the universe,
``W_i = |N(i)|``, ``L_i = sum_{j in N(i)} x_j`` and

    Gi*_i = (L_i - Xbar W_i) / (S sqrt((n W_i - W_i^2) / (n - 1))).

A cell is hot iff ``Gi*_i >= z`` (default 3.090232306167813, one-sided
p = 0.001) and ``L_i >= min_local_count`` (default 5).  Hotspots are the
8-connected components of hot cells (``scipy.ndimage.label``).

Compared with Vigil's state: evaluated day, parameters and grid, mean and
std, the hot-cell sets (Jaccard index printed; must be equal), each common
hot cell's ``count``/``local_sum`` (exact) and ``gi_star`` (within 1e-9,
relative for |Gi*| > 1), and the component partitions (as sets of frozensets
of cells; must be equal).

For context (not pass/fail) the hotspots are also compared with DBSCAN on the
events of the 28-day window, in projected metres ``(x_m, y_m)``: each event is
labelled with the Vigil hotspot containing its cell (``-1`` outside any), and
the adjusted Rand index (ARI) against DBSCAN labels is tabulated for
``eps`` in {150, 200, 250, 300, 400} m and ``min_samples`` in {5, 10, 15, 20};
DBSCAN-vs-DBSCAN ARIs between neighbouring settings show how stable DBSCAN
itself is.  Noise (``-1``) is one label for the ARI, on both sides.

CLI (from ``tools/``)::

    python -m tools.reference.hotspots --state hotspots.json [--markdown] [--input ...]

exits 1 if the hot-cell sets or the components differ (or the evaluated day,
parameters, grid or per-cell numbers disagree).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import ndimage

from .common import DAY_MS, Grid, add_grid_arguments, cell_name, grid_from_args, load_frame, parse_cell_name, utc_day

DEFAULT_Z = 3.090232306167813
DEFAULT_MIN_LOCAL = 5
WINDOW_DAYS = 28
DBSCAN_EPS = (150.0, 200.0, 250.0, 300.0, 400.0)
DBSCAN_MIN_SAMPLES = (5, 10, 15, 20)
GI_TOL = 1e-9

Cell = tuple[int, int]


# ---------------------------------------------------------------------------
# Gi*


def window_mask(days: np.ndarray, day: int, window_days: int = WINDOW_DAYS) -> np.ndarray:
    """Events whose UTC day lies in ``(day - window_days, day]``."""
    return (days > day - window_days) & (days <= day)


def cell_counts(cx: np.ndarray, cy: np.ndarray, columns: int, rows: int) -> tuple[np.ndarray, int]:
    """``x`` as a ``(columns, rows)`` array indexed ``[cx, cy]``; also the
    number of events that fall outside the universe (not counted)."""
    inside = (cx >= 0) & (cx < columns) & (cy >= 0) & (cy < rows)
    x = np.zeros((columns, rows), dtype=np.int64)
    np.add.at(x, (cx[inside], cy[inside]), 1)
    return x, int((~inside).sum())


def _box3(a: np.ndarray) -> np.ndarray:
    """Sum over the 3x3 block around each element, zero outside the array."""
    p = np.pad(a, 1)
    c, r = a.shape
    return sum(p[1 + dx:1 + dx + c, 1 + dy:1 + dy + r] for dx in (-1, 0, 1) for dy in (-1, 0, 1))


@dataclass
class GiStar:
    x: np.ndarray          # counts, (columns, rows) int
    local_sum: np.ndarray  # L, int
    weight: np.ndarray     # W, int
    gi: np.ndarray         # Gi*, float (NaN when S == 0)
    mean: float
    std: float
    n: int


def gi_star(x: np.ndarray) -> GiStar:
    """Gi* of every cell of the universe ``x`` (a 2-D count array)."""
    x = np.asarray(x, dtype=np.int64)
    n = x.size
    L = _box3(x)
    W = _box3(np.ones_like(x))
    xf = x.astype(np.float64)
    mean = float(xf.sum()) / n
    var = float((xf * xf).sum()) / n - mean * mean
    std = math.sqrt(var) if var > 0 else 0.0
    if std > 0 and n > 1:
        Wf = W.astype(np.float64)
        gi = (L - mean * Wf) / (std * np.sqrt((n * Wf - Wf * Wf) / (n - 1)))
    else:
        gi = np.full(x.shape, np.nan)
    return GiStar(x, L, W, gi, mean, std, n)


def hot_mask(g: GiStar, z: float = DEFAULT_Z, min_local_count: int = DEFAULT_MIN_LOCAL) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (g.gi >= z) & (g.local_sum >= min_local_count)


def components(hot: np.ndarray) -> list[frozenset[Cell]]:
    """8-connected components of a boolean ``[cx, cy]`` array, as cell sets."""
    labels, k = ndimage.label(hot, structure=np.ones((3, 3), dtype=int))
    out = []
    for lab in range(1, k + 1):
        xs, ys = np.nonzero(labels == lab)
        out.append(frozenset(zip(xs.tolist(), ys.tolist())))
    return out


@dataclass
class Evaluation:
    """The reference evaluation for one day."""

    grid: Grid
    day: int
    z: float
    min_local_count: int
    g: GiStar
    hot: np.ndarray
    components: list[frozenset[Cell]]
    outside: int                    # window events outside the universe
    events: pd.DataFrame            # events of the window (x_m, y_m, cx, cy, ...)

    @property
    def hot_cells(self) -> set[Cell]:
        xs, ys = np.nonzero(self.hot)
        return set(zip(xs.tolist(), ys.tolist()))

    def to_state(self) -> dict[str, Any]:
        """The evaluation in the layout of Vigil's hotspot state JSON."""
        hot_cells = []
        for cx, cy in sorted(self.hot_cells):
            hot_cells.append({"cell": cell_name(cx, cy), "x": cx, "y": cy, "count": int(self.g.x[cx, cy]),
                              "local_sum": int(self.g.local_sum[cx, cy]), "gi_star": float(self.g.gi[cx, cy])})
        hotspots = []
        for k, comp in enumerate(sorted(self.components, key=lambda c: min(c))):
            cells = sorted(comp)
            hotspots.append({"id": f"ref-{k}", "cells": [cell_name(*c) for c in cells],
                             "count": int(sum(self.g.x[c] for c in cells))})
        return {"evaluated_day": self.day, "z_threshold": self.z, "min_local_count": self.min_local_count,
                "grid": self.grid.as_dict(), "mean": self.g.mean, "std": self.g.std,
                "hot_cells": hot_cells, "hotspots": hotspots}


def evaluate(frame: pd.DataFrame, grid: Grid = Grid(), day: int | None = None, z: float = DEFAULT_Z,
             min_local_count: int = DEFAULT_MIN_LOCAL, window_days: int = WINDOW_DAYS) -> Evaluation:
    """Gi* evaluation of ``frame`` (accepted incidents, from :mod:`reference.common`)
    at ``day`` (default: UTC day of the last event), using all its events."""
    t = frame["t"].to_numpy(dtype=np.int64)
    if day is None:
        if len(t) == 0:
            raise ValueError("no incidents")
        day = int(utc_day(t.max()))
    sel = window_mask(utc_day(t), day, window_days)
    events = frame[sel].reset_index(drop=True)
    x, outside = cell_counts(events["cx"].to_numpy(), events["cy"].to_numpy(), grid.columns, grid.rows)
    g = gi_star(x)
    hot = hot_mask(g, z, min_local_count)
    return Evaluation(grid, day, z, min_local_count, g, hot, components(hot), outside, events)


# ---------------------------------------------------------------------------
# Comparison


def _close(a: Any, b: float, tol: float = GI_TOL) -> bool:
    if not isinstance(a, (int, float)) or isinstance(a, bool):
        return False
    if math.isnan(b):
        return math.isnan(a)
    return abs(float(a) - b) <= tol * max(1.0, abs(b))


def jaccard(a: set, b: set) -> float:
    return 1.0 if not a and not b else len(a & b) / len(a | b)


@dataclass
class Comparison:
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    jaccard: float = float("nan")
    vigil_hot: set = field(default_factory=set)
    vigil_components: list = field(default_factory=list)
    max_gi_diff: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures


def _cells_of(names: Iterable[Any], where: str, cmp: Comparison) -> list[Cell]:
    out = []
    for name in names:
        try:
            out.append(parse_cell_name(name))
        except (ValueError, TypeError):
            cmp.failures.append(f"{where}: bad cell name {name!r}")
    return out


def compare_state(ev: Evaluation, state: dict[str, Any]) -> Comparison:
    """Compare Vigil's hotspot state JSON with the reference evaluation."""
    cmp = Comparison()
    f, w, L = cmp.failures, cmp.warnings, cmp.lines

    if state.get("evaluated_day") != ev.day:
        f.append(f"evaluated_day: vigil {state.get('evaluated_day')}, reference {ev.day}")
    if not _close(state.get("z_threshold"), ev.z, 1e-15):
        f.append(f"z_threshold: vigil {state.get('z_threshold')}, reference {ev.z}")
    if state.get("min_local_count") != ev.min_local_count:
        f.append(f"min_local_count: vigil {state.get('min_local_count')}, reference {ev.min_local_count}")
    grid_v = state.get("grid") or {}
    for k, v in ev.grid.as_dict().items():
        if not _close(grid_v.get(k), float(v), 1e-12):
            f.append(f"grid.{k}: vigil {grid_v.get(k)}, reference {v}")
    for k, v in (("mean", ev.g.mean), ("std", ev.g.std)):
        if not _close(state.get(k), v):
            f.append(f"{k}: vigil {state.get(k)!r}, reference {v!r}")

    # hot cells
    vhot: dict[Cell, dict[str, Any]] = {}
    for rec in state.get("hot_cells") or []:
        cells = _cells_of([rec.get("cell")], "hot_cells", cmp)
        if not cells:
            continue
        c = cells[0]
        if (rec.get("x"), rec.get("y")) != c:
            f.append(f"hot cell {rec.get('cell')}: x/y fields {rec.get('x')},{rec.get('y')} disagree with the name")
        if c in vhot:
            f.append(f"hot cell {rec.get('cell')} listed twice")
        vhot[c] = rec
    rhot = ev.hot_cells
    cmp.vigil_hot = set(vhot)
    cmp.jaccard = jaccard(set(vhot), rhot)
    only_v, only_r = sorted(set(vhot) - rhot), sorted(rhot - set(vhot))
    L.append(f"hot cells: vigil {len(vhot)}, reference {len(rhot)}, common {len(set(vhot) & rhot)}, "
             f"Jaccard {cmp.jaccard:.6f}")
    if only_v or only_r:
        f.append(f"hot cell sets differ: only vigil {len(only_v)}, only reference {len(only_r)}")
        for c in (only_v + only_r)[:10]:
            side = "vigil" if c in vhot else "reference"
            inside = 0 <= c[0] < ev.grid.columns and 0 <= c[1] < ev.grid.rows
            detail = (f"reference Gi* {ev.g.gi[c]:.12g}, L {ev.g.local_sum[c]}, x {ev.g.x[c]}" if inside
                      else "outside the universe")
            L.append(f"  only {side}: {cell_name(*c)} ({detail})")
    max_diff = 0.0
    for c in sorted(set(vhot) & rhot):
        rec = vhot[c]
        if rec.get("count") != int(ev.g.x[c]):
            f.append(f"{cell_name(*c)} count: vigil {rec.get('count')}, reference {int(ev.g.x[c])}")
        if rec.get("local_sum") != int(ev.g.local_sum[c]):
            f.append(f"{cell_name(*c)} local_sum: vigil {rec.get('local_sum')}, reference {int(ev.g.local_sum[c])}")
        gv, gr = rec.get("gi_star"), float(ev.g.gi[c])
        if isinstance(gv, (int, float)) and not isinstance(gv, bool):
            max_diff = max(max_diff, abs(gv - gr))
        if not _close(gv, gr):
            f.append(f"{cell_name(*c)} gi_star: vigil {gv!r}, reference {gr!r}")
    cmp.max_gi_diff = max_diff
    L.append(f"Gi* max |vigil - reference| over common hot cells: {max_diff:.3g}")
    with np.errstate(invalid="ignore"):
        border = np.abs(ev.g.gi - ev.z) <= GI_TOL * max(1.0, ev.z)
    if border.any():
        w.append(f"{int(border.sum())} cell(s) have Gi* within {GI_TOL} of z (floating-point borderline)")

    # components
    vcomps: list[frozenset[Cell]] = []
    for hs in state.get("hotspots") or []:
        cells = frozenset(_cells_of(hs.get("cells") or [], f"hotspot {hs.get('id')}", cmp))
        vcomps.append(cells)
        expected = int(sum(ev.g.x[c] for c in cells if 0 <= c[0] < ev.grid.columns and 0 <= c[1] < ev.grid.rows))
        if hs.get("count") != expected:
            w.append(f"hotspot {hs.get('id')} count {hs.get('count')} != sum of its cells' counts {expected}")
    cmp.vigil_components = vcomps
    vset, rset = set(vcomps), set(ev.components)
    union_v = set().union(*vcomps) if vcomps else set()
    if union_v != set(vhot):
        f.append("vigil hotspots do not cover exactly its hot cells")
    if len(vset) != len(vcomps):
        f.append("vigil lists a hotspot twice")
    L.append(f"components: vigil {len(vcomps)}, reference {len(ev.components)}, "
             f"identical {len(vset & rset)}; sizes (reference) "
             f"{sorted((len(c) for c in ev.components), reverse=True)[:15]}")
    if vset != rset:
        f.append(f"component partitions differ: {len(vset - rset)} only in vigil, {len(rset - vset)} only in reference")
        for comp in list(vset - rset)[:5]:
            L.append(f"  only vigil: {sorted(cell_name(*c) for c in comp)[:12]}")
        for comp in list(rset - vset)[:5]:
            L.append(f"  only reference: {sorted(cell_name(*c) for c in comp)[:12]}")
    return cmp


# ---------------------------------------------------------------------------
# DBSCAN agreement


def event_labels(events: pd.DataFrame, comps: Sequence[frozenset[Cell]]) -> np.ndarray:
    """Label each event with the index of the component holding its cell (-1: none)."""
    lookup: dict[Cell, int] = {}
    for k, comp in enumerate(comps):
        for c in comp:
            lookup[c] = k
    return np.fromiter((lookup.get(c, -1) for c in zip(events["cx"].tolist(), events["cy"].tolist())),
                       np.int64, len(events))


def dbscan_tables(events: pd.DataFrame, labels: np.ndarray, eps_values: Sequence[float] = DBSCAN_EPS,
                  min_samples_values: Sequence[int] = DBSCAN_MIN_SAMPLES) -> dict[str, pd.DataFrame]:
    """ARI tables: Vigil labels vs DBSCAN, and DBSCAN vs its neighbouring settings.

    Returns ``{"vigil_vs_dbscan", "clusters", "noise", "eps_neighbours", "min_samples_neighbours"}``,
    each indexed by ``min_samples`` (rows) and ``eps`` (columns).
    """
    from sklearn.cluster import DBSCAN
    from sklearn.metrics import adjusted_rand_score

    X = events[["x_m", "y_m"]].to_numpy(dtype=np.float64)
    db: dict[tuple[int, float], np.ndarray] = {}
    for ms in min_samples_values:
        for eps in eps_values:
            db[(ms, eps)] = (DBSCAN(eps=eps, min_samples=ms).fit(X).labels_ if len(X)
                             else np.zeros(0, dtype=np.int64))

    def table(fn, cols) -> pd.DataFrame:
        return pd.DataFrame([[fn(ms, c) for c in cols] for ms in min_samples_values],
                            index=pd.Index(list(min_samples_values), name="min_samples"), columns=cols)

    ari = lambda a, b: float(adjusted_rand_score(a, b)) if len(a) else float("nan")  # noqa: E731
    eps_cols = [f"{eps:g}" for eps in eps_values]
    out = {
        "vigil_vs_dbscan": table(lambda ms, c: ari(labels, db[(ms, float(c))]), eps_cols),
        "clusters": table(lambda ms, c: int(len(set(db[(ms, float(c))].tolist()) - {-1})), eps_cols),
        "noise": table(lambda ms, c: float(np.mean(db[(ms, float(c))] == -1)) if len(X) else float("nan"),
                       eps_cols),
    }
    pairs = list(zip(eps_values[:-1], eps_values[1:]))
    out["eps_neighbours"] = table(lambda ms, c: ari(db[(ms, c[0])], db[(ms, c[1])]), pairs)
    out["eps_neighbours"].columns = [f"{a:g}-{b:g}" for a, b in pairs]
    ms_pairs = list(zip(min_samples_values[:-1], min_samples_values[1:]))
    msn = pd.DataFrame([[ari(db[(a, eps)], db[(b, eps)]) for eps in eps_values] for a, b in ms_pairs],
                       index=pd.Index([f"{a}-{b}" for a, b in ms_pairs], name="min_samples"), columns=eps_cols)
    out["min_samples_neighbours"] = msn
    return out


# ---------------------------------------------------------------------------
# Output


def _fmt(v: Any) -> str:
    if isinstance(v, (float, np.floating)):
        return "nan" if math.isnan(v) else f"{v:.3f}"
    return str(v)


def render_table(df: pd.DataFrame, title: str, markdown: bool) -> str:
    head = [str(df.index.name or "")] + [str(c) for c in df.columns]
    rows = [[str(i)] + [_fmt(v) for v in row] for i, row in zip(df.index, df.itertuples(index=False))]
    if markdown:
        lines = [f"**{title}**", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines) + "\n"
    widths = [max(len(r[k]) for r in [head] + rows) for k in range(len(head))]
    lines = [title, "  ".join(h.rjust(wd) for h, wd in zip(head, widths))]
    lines += ["  ".join(c.rjust(wd) for c, wd in zip(r, widths)) for r in rows]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.reference.hotspots", description=__doc__.split("\n\n")[0])
    p.add_argument("--state", required=True, help="hotspot state JSON written by vigil replay --hotspots-output")
    p.add_argument("--markdown", action="store_true", help="print the ARI tables as markdown")
    p.add_argument("--z", type=float, default=DEFAULT_Z, help="Gi* threshold")
    p.add_argument("--min-local-count", type=int, default=DEFAULT_MIN_LOCAL)
    p.add_argument("--window-days", type=int, default=WINDOW_DAYS)
    p.add_argument("--no-dbscan", action="store_true", help="skip the DBSCAN/ARI tables")
    add_grid_arguments(p)
    args = p.parse_args(argv)
    grid = grid_from_args(args)
    with open(args.state, encoding="utf-8") as fh:
        state = json.load(fh)
    frame = load_frame(args.input, grid)
    ev = evaluate(frame, grid, None, args.z, args.min_local_count, args.window_days)
    cmp = compare_state(ev, state)

    md = args.markdown
    day_text = pd.Timestamp(ev.day * DAY_MS, unit="ms").date().isoformat()
    header = [
        f"evaluated day {ev.day} ({day_text} UTC); window ({ev.day - args.window_days}, {ev.day}]: "
        f"{len(ev.events)} events ({ev.outside} outside the universe)",
        f"grid {grid.columns} x {grid.rows} = {grid.n_cells} cells of {grid.cell_size:g} m; "
        f"z {ev.z}, min_local_count {ev.min_local_count}",
        f"mean {ev.g.mean!r} (vigil {state.get('mean')!r}), std {ev.g.std!r} (vigil {state.get('std')!r})",
    ] + cmp.lines
    prefix = "- " if md else ""
    print("\n".join(prefix + line for line in header))
    for wmsg in cmp.warnings:
        print(f"{prefix}warning: {wmsg}")
    for fmsg in cmp.failures[:20]:
        print(f"{prefix}FAIL: {fmsg}")
    if len(cmp.failures) > 20:
        print(f"{prefix}FAIL: ... {len(cmp.failures) - 20} more")
    print(f"{prefix}result: {'hot cells and components agree' if cmp.ok else 'MISMATCH'}")

    if not args.no_dbscan:
        from sklearn.metrics import adjusted_rand_score

        vl = event_labels(ev.events, cmp.vigil_components)
        rl = event_labels(ev.events, ev.components)
        print()
        print(f"{prefix}events in a Vigil hotspot: {int((vl >= 0).sum())} of {len(vl)}; "
              f"ARI(vigil components, reference components) = "
              f"{adjusted_rand_score(vl, rl) if len(vl) else float('nan'):.6f}")
        print()
        tables = dbscan_tables(ev.events, vl)
        titles = {
            "vigil_vs_dbscan": "ARI: Vigil hotspots vs DBSCAN (rows min_samples, columns eps in m)",
            "clusters": "DBSCAN clusters",
            "noise": "DBSCAN noise fraction",
            "eps_neighbours": "ARI: DBSCAN eps vs next eps (same min_samples)",
            "min_samples_neighbours": "ARI: DBSCAN min_samples vs next min_samples (same eps)",
        }
        for key, title in titles.items():
            print(render_table(tables[key], title, md))
    return 0 if cmp.ok else 1


if __name__ == "__main__":
    sys.exit(main())
