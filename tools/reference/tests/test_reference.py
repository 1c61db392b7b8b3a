"""Tests of the reference checks (tools/reference).

Unit tests use small synthetic data whose answers are worked out by hand.
The integration tests at the end run the real ``vigil replay`` (the binary
named by ``VIGIL_BINARY``; tools/test.sh sets it) on the Toronto data and are
skipped only when that variable is not set; each replay has a 600 s timeout
(``VIGIL_REPLAY_TIMEOUT`` overrides it).

Run: python -m pytest -q tools/reference
"""

from __future__ import annotations

import json
import math
import os
import subprocess
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from tools.reference import common as C
from tools.reference import hotspots as H
from tools.reference import plant_surges as P
from tools.reference import score_surges as S
from tools.reference import windows as W
from tools.vigil_tools.ndjson import iter_ndjson, write_ndjson

# ---------------------------------------------------------------------------
# helpers


def at_cell(grid: C.Grid, cx: int, cy: int, fx: float = 0.5, fy: float = 0.5) -> tuple[float, float]:
    """(lat, lon) at fraction (fx, fy) inside cell (cx, cy)."""
    return (grid.south + (cy + fy) * grid.cell_size / grid.m_per_deg_lat,
            grid.west + (cx + fx) * grid.cell_size / grid.m_per_deg_lon)


def inc(id_: str, t: int, category: str = "Assault", cell: tuple[int, int] = (0, 0),
        neighbourhood: str | None = "Downtown", grid: C.Grid = C.Grid()) -> tuple[dict, int]:
    lat, lon = at_cell(grid, *cell)
    obj = {"id": id_, "event_time": C.format_rfc3339_ms(t), "category": category, "premises": "House",
           "lat": lat, "lon": lon, "source": "test"}
    if neighbourhood is not None:
        obj["neighbourhood"] = neighbourhood
    return obj, t


def write_records(path: Path, records) -> Path:
    return write_ndjson(path, (obj for obj, _ in records))


# ---------------------------------------------------------------------------
# common


def test_grid_dimensions_and_cells():
    g = C.Grid()
    # Toronto box: 0.53 deg of longitude at 43.72 N, 0.28 deg of latitude
    mlat = 6371008.8 * math.pi / 180
    mlon = mlat * math.cos(43.72 * math.pi / 180)
    assert g.columns == math.ceil(0.53 * mlon / 250) == 171
    assert g.rows == math.ceil(0.28 * mlat / 250) == 125
    # 100 m grid on the equator box: 0.0044 deg = 489.3 m -> 5 x 5
    small = C.Grid(0.0, 0.0, 0.0044, 0.0044, 100.0)
    assert (small.columns, small.rows) == (5, 5)
    cx, cy = g.cells([43.58, 43.58 + 250.0001 / mlat, 43.58 + 249.999 / mlat], [-79.64, -79.64, -79.64 + 500.01 / mlon])
    assert cx.tolist() == [0, 0, 2] and cy.tolist() == [0, 1, 0]
    assert C.cell_name(12, 34) == "x12y34" and C.parse_cell_name("x-1y7") == (-1, 7)


def test_rfc3339_parse_and_format():
    assert C.parse_rfc3339_ms("1970-01-01T00:00:00Z") == 0
    assert C.parse_rfc3339_ms("2014-03-02T08:00:00-05:00") == C.parse_rfc3339_ms("2014-03-02T13:00:00Z")
    assert C.parse_rfc3339_ms("1969-12-31T23:59:59.9999Z") == -1  # fraction truncated to ms
    assert C.parse_rfc3339_ms("2021-02-30T00:00:00Z") is None
    assert C.parse_rfc3339_ms("2021-01-01T00:00:00") is None  # no offset
    assert C.format_rfc3339_ms(1_614_873_600_000) == "2021-03-04T16:00:00Z"
    assert C.format_rfc3339_ms(-1) == "1969-12-31T23:59:59.999Z"


def test_acceptance_and_order():
    g = C.Grid()
    recs = [inc("b", 1000), inc("a", 1000), inc("c", 0)]
    recs.append(({"id": "no-time", "category": "Assault", "lat": 43.7, "lon": -79.4}, None))
    recs.append(({"id": "outside", "category": "Assault", "lat": 43.9, "lon": -79.4}, 5))
    recs.append(({"id": "no-cat", "lat": 43.7, "lon": -79.4}, 5))
    recs.append(({"id": "empty-hood", "category": "Robbery", "neighbourhood": "", "lat": 43.7, "lon": -79.4}, 7))
    f = C.frame_from_records(recs, g)
    assert f["id"].tolist() == ["c", "empty-hood", "a", "b"]
    assert f["neighbourhood"].isna().tolist() == [False, True, False, False]


# ---------------------------------------------------------------------------
# windows


def brute_force_count(frame, i: int, family: str, h: int, r: int) -> int:
    """Literal, loop-based reading of the window definition."""
    rows = list(zip(frame.t.tolist(), frame.category.tolist(), frame.neighbourhood.tolist(),
                    frame.cx.tolist(), frame.cy.tolist()))

    def key(j):
        t, cat, hood, cx, cy = rows[j]
        return {"category_cell": (cat, cx, cy), "category_neighbourhood": (cat, hood),
                "cell": (cx, cy)}[family]
    bi = math.floor(rows[i][0] / (r * 1000))
    n = 0
    for j in range(i + 1):
        bj = math.floor(rows[j][0] / (r * 1000))
        if key(j) == key(i) and bi - h / r < bj <= bi:
            n += 1
    return n


def boundary_events():
    """Same (category, cell, neighbourhood) unless stated; times on bucket edges."""
    return [
        inc("e0", 0),                                  # 1-min bucket 0
        inc("e1", 59_999),                             # still bucket 0
        inc("e2", 60_000),                             # bucket 1
        inc("e3", 60_000, category="Robbery"),         # same cell, other category
        inc("e4", 60_000, cell=(3, 4)),                # same category+hood, other cell
        inc("e6", 900_000),                            # bucket 15: (0, 15] drops bucket 0
        inc("e5", 900_000),                            # tie: id e5 is processed before e6
        inc("e7", 3_600_000 + 299_999),                # 5-min bucket 12
        inc("e8", -1),                                 # before the epoch: bucket -1
    ]


def test_window_counts_on_bucket_boundaries():
    f = C.frame_from_records(boundary_events())
    assert f["id"].tolist() == ["e8", "e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7"]
    ix = W.WindowIndex(f)
    i6 = 7  # e6 at 900 000 ms: 1-min bucket 15 -> window buckets 1..15
    assert f["id"][i6] == "e6"
    c = ix.counts_at("category_cell", i6)
    # (900, 60): e2, e5, e6 (e8 bucket -1, e0/e1 bucket 0 are out; e3 other category, e4 other cell)
    assert c[(900, 60)] == 3
    # (3600, 300): 5-min buckets: e8 -1, e0..e2 0, e5/e6 3 -> window (-9, 3]: all six
    assert c[(3600, 300)] == 6
    assert ix.counts_at("category_neighbourhood", i6)[(900, 60)] == 4   # + e4 (other cell)
    assert ix.counts_at("cell", i6)[(900, 60)] == 4                     # + e3 (other category)
    # e5 (processed before e6 at the same instant) does not see e6
    assert ix.counts_at("category_cell", 6)[(900, 60)] == 2
    # e7: 5-min bucket 12, window (0, 12] -> only e5, e6, e7 in buckets 3 and 12
    c7 = ix.counts_at("category_cell", 8)
    assert c7[(3600, 300)] == 3
    assert c7[(900, 60)] == 1
    # e8 at t = -1: 1-min bucket -1; first event
    assert ix.counts_at("cell", 0)[(900, 60)] == 1
    for i in range(len(f)):
        for fam in C.FAMILIES:
            got = ix.counts_at(fam, i)
            for h, r in C.HORIZONS:
                assert got[(h, r)] == brute_force_count(f, i, fam, h, r), (i, fam, h)


def test_reference_counts_random_stream_against_brute_force():
    rng = np.random.default_rng(3)
    recs = []
    for k in range(300):
        t = int(rng.integers(0, 10 * 86_400_000)) // 60_000 * 60_000 * int(rng.integers(0, 2)) \
            + int(rng.integers(0, 3_000_000))
        recs.append(inc(f"r{k:03d}", t, category=["A", "B"][int(rng.integers(2))],
                        cell=(int(rng.integers(2)), int(rng.integers(2))),
                        neighbourhood=["N1", "N2"][int(rng.integers(2))]))
    f = C.frame_from_records(recs)
    ix = W.WindowIndex(f)
    for i in rng.choice(len(f), 25, replace=False).tolist():
        for fam in C.FAMILIES:
            got = ix.counts_at(fam, i)
            for h, r in C.HORIZONS:
                assert got[(h, r)] == brute_force_count(f, i, fam, h, r)


def test_reference_counts_reports_mismatches_and_cli(tmp_path, capsys):
    recs = boundary_events()
    f = C.frame_from_records(recs)
    ix = W.WindowIndex(f)
    probes = [{"index": i, "id": f["id"][i], "event_time_ms": int(f["t"][i]), "counts": W.expected_counts(ix, i)}
              for i in range(len(f))]
    assert all(len(p["counts"]) == 15 for p in probes)
    assert W.reference_counts(ix, probes) == []
    # a frame is accepted as well as an index
    assert W.reference_counts(f, probes) == []

    bad = json.loads(json.dumps(probes))
    bad[7]["counts"][0]["count"] += 1             # wrong count
    bad[2]["id"] = "nope"                         # wrong id
    del bad[3]["counts"][14]                      # missing entry
    bad[4]["counts"][0]["cell"] = "x9y9"          # wrong key
    mism = W.reference_counts(ix, bad)
    kinds = sorted(m["kind"] for m in mism)
    assert kinds == ["count", "id", "missing_entry", "missing_entry", "unexpected_entry"]

    inp = write_records(tmp_path / "in.ndjson", recs)
    good = tmp_path / "probes.ndjson"
    good.write_text("".join(json.dumps(p) + "\n" for p in probes))
    assert W.main(["--probes", str(good), "--input", str(inp)]) == 0
    assert "9 probes x 15 windows checked, 0 mismatches" in capsys.readouterr().out
    badf = tmp_path / "bad.ndjson"
    badf.write_text("".join(json.dumps(p) + "\n" for p in bad))
    assert W.main(["--probes", str(badf), "--input", str(inp)]) == 1
    assert "5 mismatches" in capsys.readouterr().out


def test_probe_without_neighbourhood_has_ten_entries():
    f = C.frame_from_records([inc("a", 0, neighbourhood=None), inc("b", 1, neighbourhood=None)])
    ix = W.WindowIndex(f)
    e = W.expected_counts(ix, 1)
    assert len(e) == 10 and {x["family"] for x in e} == {"category_cell", "cell"}
    assert e[0]["count"] == 2


# ---------------------------------------------------------------------------
# hotspots


def centre_universe() -> np.ndarray:
    x = np.zeros((5, 5), dtype=np.int64)
    x[2, 2] = 10
    return x


def test_gi_star_by_hand_5x5():
    # n = 25, sum x = 10, sum x^2 = 100: Xbar = 0.4, S = sqrt(4 - 0.16) = sqrt(3.84)
    g = H.gi_star(centre_universe())
    assert g.mean == pytest.approx(0.4, abs=1e-15)
    assert g.std == pytest.approx(math.sqrt(3.84), abs=1e-15)
    assert g.weight[2, 2] == 9 and g.weight[0, 0] == 4 and g.weight[0, 2] == 6
    # centre: (10 - 0.4*9) / (sqrt(3.84) * sqrt((25*9 - 81)/24)) = 6.4 / sqrt(23.04) = 6.4 / 4.8
    assert g.gi[2, 2] == pytest.approx(4 / 3, abs=1e-12)
    assert g.gi[1, 1] == pytest.approx(4 / 3, abs=1e-12)          # L = 10, W = 9 too
    # corner: (0 - 1.6) / (sqrt(3.84) * sqrt((100 - 16)/24)) = -1.6 / sqrt(13.44)
    assert g.gi[0, 0] == pytest.approx(-1.6 / math.sqrt(13.44), abs=1e-12)
    # edge: (0 - 2.4) / (sqrt(3.84) * sqrt((150 - 36)/24)) = -2.4 / sqrt(18.24)
    assert g.gi[0, 2] == pytest.approx(-2.4 / math.sqrt(18.24), abs=1e-12)
    assert g.local_sum.sum() == 90

    hot = H.hot_mask(g, z=1.0, min_local_count=5)
    assert set(zip(*np.nonzero(hot))) == {(i, j) for i in (1, 2, 3) for j in (1, 2, 3)}
    assert H.hot_mask(g, z=1.0, min_local_count=11).sum() == 0
    assert H.hot_mask(g, z=1.34, min_local_count=5).sum() == 0   # 4/3 < 1.34
    assert H.hot_mask(H.gi_star(np.zeros((5, 5))), z=0.0).sum() == 0  # S = 0: nothing is hot


def test_components_eight_connected():
    hot = np.zeros((6, 6), dtype=bool)
    hot[0, 0] = hot[1, 1] = True      # diagonal neighbours: one component
    hot[4, 4] = hot[4, 5] = True      # another
    hot[0, 3] = True                  # isolated
    comps = set(H.components(hot))
    assert comps == {frozenset({(0, 0), (1, 1)}), frozenset({(4, 4), (4, 5)}), frozenset({(0, 3)})}


def small_world(tmp_path: Path):
    """5 x 5 universe (100 m cells near (0, 0)); 10 events in x2y2, 1 in x0y0 on
    day 0, 3 in x4y4 on day -30 (outside the 28-day window)."""
    grid = C.Grid(0.0, 0.0, 0.0044, 0.0044, 100.0)
    recs = [inc(f"c{k}", k * 1000, cell=(2, 2), grid=grid) for k in range(10)]
    recs.append(inc("corner", 50_000, cell=(0, 0), grid=grid))
    recs += [inc(f"old{k}", -30 * C.DAY_MS + k, cell=(4, 4), grid=grid) for k in range(3)]
    return grid, recs, write_records(tmp_path / "small.ndjson", recs)


def test_evaluate_and_compare_small_world(tmp_path, capsys):
    grid, recs, path = small_world(tmp_path)
    f = C.frame_from_records(recs, grid)
    ev = H.evaluate(f, grid, z=1.0, min_local_count=5)
    assert ev.day == 0 and len(ev.events) == 11
    assert ev.g.x[2, 2] == 10 and ev.g.x[0, 0] == 1 and ev.g.x[4, 4] == 0
    # x: 10 at the centre, 1 at a corner. n = 25, Xbar = 11/25, sum x^2 = 101.
    xbar = 11 / 25
    s = math.sqrt(101 / 25 - xbar ** 2)
    gi_11 = (11 - xbar * 9) / (s * math.sqrt((25 * 9 - 81) / 24))   # x1y1 sees both
    assert ev.g.gi[1, 1] == pytest.approx(gi_11, abs=1e-12)
    assert (1, 1) in ev.hot_cells and len(ev.components) == 1

    state = ev.to_state()
    assert H.compare_state(ev, state).ok
    # a tampered copy: drop one hot cell, perturb one Gi*
    bad = json.loads(json.dumps(state))
    gone = bad["hot_cells"].pop()
    bad["hotspots"][0]["cells"].remove(gone["cell"])
    bad["hot_cells"][0]["gi_star"] += 1e-6
    cmp = H.compare_state(ev, bad)
    assert not cmp.ok and cmp.jaccard == pytest.approx(8 / 9)
    assert any("gi_star" in m for m in cmp.failures)
    assert any("component partitions differ" in m for m in cmp.failures)

    # split one component into two: same hot set, different partition
    split = json.loads(json.dumps(state))
    cells = split["hotspots"][0]["cells"]
    split["hotspots"] = [{"id": "a", "cells": cells[:1], "count": 0}, {"id": "b", "cells": cells[1:], "count": 0}]
    cmp = H.compare_state(ev, split)
    assert cmp.jaccard == 1.0 and not cmp.ok

    sp = tmp_path / "state.json"
    sp.write_text(json.dumps(state))
    args = ["--state", str(sp), "--input", str(path), "--bbox", "0", "0", "0.0044", "0.0044",
            "--cell-size", "100", "--z", "1.0", "--markdown"]
    assert H.main(args) == 0
    out = capsys.readouterr().out
    assert "Jaccard 1.000000" in out and "| min_samples | 150 | 200 | 250 | 300 | 400 |" in out
    bp = tmp_path / "bad.json"
    bp.write_text(json.dumps(bad))
    assert H.main(args[:1] + [str(bp)] + args[2:]) == 1


def test_dbscan_tables_shapes():
    grid = C.Grid()
    rng = np.random.default_rng(0)
    recs = []
    for k in range(60):  # a tight cluster of 40 and 20 scattered events
        cell = (50, 50) if k < 40 else (int(rng.integers(0, 170)), int(rng.integers(0, 120)))
        lat, lon = at_cell(grid, *cell, fx=float(rng.random()), fy=float(rng.random()))
        recs.append(({"id": f"d{k}", "category": "A", "lat": lat, "lon": lon}, k))
    f = C.frame_from_records(recs, grid)
    labels = H.event_labels(f, [frozenset({(50, 50)})])
    assert (labels == 0).sum() == 40
    t = H.dbscan_tables(f, labels)
    assert t["vigil_vs_dbscan"].shape == (4, 5)
    assert t["eps_neighbours"].shape == (4, 4) and t["min_samples_neighbours"].shape == (3, 5)
    # a 250 m cell has a 354 m diagonal: eps 400, min_samples 5 recovers the cluster exactly
    assert t["vigil_vs_dbscan"].loc[5, "400"] == pytest.approx(1.0)


# ---------------------------------------------------------------------------
# planting and scoring


def synthetic_real_stream(days: int = 60):
    rng = np.random.default_rng(11)
    base = P.day_start_ms(date(2020, 1, 1))
    recs = []
    for k in range(400):
        hood = ["North", "South", "East"][k % 3]
        cell = {"North": (10, 100), "South": (10, 5), "East": (160, 60)}[hood]
        t = base + int(rng.integers(0, days * C.DAY_MS))
        recs.append(inc(f"real-{k:04d}", t, category=["Assault", "Robbery"][k % 2], cell=cell,
                        neighbourhood=hood))
    return recs


def test_plant_surges_truth_consistent_with_stream(tmp_path):
    real = synthetic_real_stream()
    stream, truth = P.plant(real, surges=6, size=5, span_hours=3, seed=4,
                            start=date(2020, 1, 1), end=date(2020, 2, 29))
    assert len(truth) == 6 and len(stream) == 400 + 30
    by_id = {o["id"]: o for o in stream}
    assert len(by_id) == len(stream)
    keys = [(C.parse_rfc3339_ms(o["event_time"]), o["id"]) for o in stream]
    assert keys == sorted(keys)
    assert all(o["event_time"].endswith("Z") for o in stream)
    hood_points = {}
    for obj, _ in real:
        hood_points.setdefault(obj["neighbourhood"], set()).add((obj["lat"], obj["lon"]))
    for s in truth:
        assert s["end_ms"] - s["start_ms"] == 3 * C.HOUR_MS and s["start_ms"] % C.HOUR_MS == 0
        assert s["ids"] == [f"planted-{s['surge']:04d}-{j:02d}" for j in range(5)]
        times = []
        for pid in s["ids"]:
            o = by_id[pid]
            assert (o["category"], o["neighbourhood"]) == (s["category"], s["neighbourhood"])
            assert (o["lat"], o["lon"]) in hood_points[s["neighbourhood"]]
            t = C.parse_rfc3339_ms(o["event_time"])
            assert s["start_ms"] <= t < s["end_ms"]
            times.append(t)
        assert np.diff(times).tolist() == [36 * 60_000] * 4   # 3 h / 5, evenly spaced
        anchor = by_id[s["anchor_id"]]
        a_t = C.parse_rfc3339_ms(anchor["event_time"])
        assert (anchor["category"], anchor["neighbourhood"]) == (s["category"], s["neighbourhood"])
        assert s["start_ms"] <= a_t < s["start_ms"] + C.HOUR_MS
    for a in truth:
        for b in truth:
            if a is not b and (a["category"], a["neighbourhood"]) == (b["category"], b["neighbourhood"]):
                assert abs(a["start_ms"] - b["start_ms"]) >= 7 * C.DAY_MS
    # deterministic
    assert P.plant(real, surges=6, size=5, seed=4, start=date(2020, 1, 1), end=date(2020, 2, 29)) == (stream, truth)
    # the written stream reads back with the same instants and ids
    write_ndjson(tmp_path / "s.ndjson", stream)
    f = C.frame_from_ndjson(tmp_path / "s.ndjson")
    assert len(f) == len(stream) and sorted(f["id"]) == sorted(by_id)


def test_plant_surges_date_filter_and_exhaustion():
    real = synthetic_real_stream()
    stream, truth = P.plant(real, surges=0, start=date(2020, 1, 10), end=date(2020, 1, 19))
    lo, hi = P.day_start_ms(date(2020, 1, 10)), P.day_start_ms(date(2020, 1, 20))
    assert stream and all(lo <= C.parse_rfc3339_ms(o["event_time"]) < hi for o in stream)
    # 6 (category, neighbourhood) keys x at most 2 surges per 10 days
    with pytest.raises(RuntimeError):
        P.plant(real, surges=13, start=date(2020, 1, 10), end=date(2020, 1, 19), max_tries=20_000)


def test_plant_surges_warmup():
    real = synthetic_real_stream()
    _, truth = P.plant(real, surges=10, seed=5, start=date(2020, 1, 1), end=date(2020, 2, 29), warmup_days=30)
    assert min(s["start_ms"] for s in truth) >= P.day_start_ms(date(2020, 1, 31))
    # the same seed without warm-up draws (some) earlier anchors
    _, early = P.plant(real, surges=10, seed=5, start=date(2020, 1, 1), end=date(2020, 2, 29))
    assert min(s["start_ms"] for s in early) < P.day_start_ms(date(2020, 1, 31))


def test_plant_surges_cli(tmp_path):
    src = write_records(tmp_path / "real.ndjson", synthetic_real_stream())
    out, truth = tmp_path / "out.ndjson", tmp_path / "truth.json"
    assert P.main(["--input", str(src), "--out", str(out), "--truth", str(truth), "--from", "2020-01-01",
                   "--to", "2020-02-29", "--surges", "4", "--seed", "2"]) == 0
    t = json.loads(truth.read_text())
    assert len(t) == 4 and len(out.read_text().splitlines()) == 400 + 32


def alert(kind: str, category: str, hood: str, t: int) -> dict:
    return {"id": f"{kind}-{t}", "kind": kind, "event_time": C.format_rfc3339_ms(t),
            "key": {"category": category, "neighbourhood": hood}}


def test_score_surges(tmp_path, capsys):
    h = C.HOUR_MS
    truth = [{"surge": k, "category": "Assault", "neighbourhood": f"N{k}", "start_ms": 100 * h * k,
              "end_ms": 100 * h * k + 3 * h, "ids": []} for k in range(4)]
    alerts = [
        alert("surge", "Assault", "N0", 3 * h + 6 * h),           # exactly end + 6 h: detected
        alert("surge", "Assault", "N1", 100 * h - 1),             # 1 ms before start: not
        alert("count_threshold", "Assault", "N2", 200 * h + h),   # wrong kind: not
        alert("surge", "Robbery", "N3", 300 * h + h),             # wrong category: not
        alert("surge", "Assault", "N3", 300 * h),                 # at start: detected
        alert("surge", "Assault", "Elsewhere", 5),                # unmatched
    ]
    res = S.score(truth, alerts, window_hours=6)
    assert res.detected == [0, 3] and res.rate == 0.5
    assert res.surge_alerts == 5 and res.matched_alerts == 2 and res.unmatched_alerts == 3
    assert S.score(truth, alerts, window_hours=5).detected == [3]

    tp, ap, bp = tmp_path / "t.json", tmp_path / "a.ndjson", tmp_path / "b.ndjson"
    tp.write_text(json.dumps(truth))
    ap.write_text("".join(json.dumps(a) + "\n" for a in alerts))
    bp.write_text("".join(json.dumps(a) + "\n" for a in alerts[:2]))
    assert S.main(["--truth", str(tp), "--alerts", str(ap)]) == 1
    assert S.main(["--truth", str(tp), "--alerts", str(ap), "--no-fail", "--baseline-alerts", str(bp),
                   "--days", "4"]) == 0
    out = capsys.readouterr().out
    assert "detection rate 0.5000" in out and "0.500 per day" in out
    assert S.main(["--truth", str(tp), "--alerts", str(ap), "--min-detection", "0.5"]) == 0


# ---------------------------------------------------------------------------
# integration with the real binary

VIGIL_BINARY = os.environ.get("VIGIL_BINARY")
needs_binary = pytest.mark.skipif(not VIGIL_BINARY, reason="VIGIL_BINARY is not set (tools/test.sh sets it)")
REPLAY_TIMEOUT_S = int(os.environ.get("VIGIL_REPLAY_TIMEOUT", "600"))  # seconds per replay


SURGE_WARMUP_DAYS = 56


def replay(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    cmd = [VIGIL_BINARY, "replay", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=REPLAY_TIMEOUT_S, cwd=tmp_path)
    assert proc.returncode == 0, f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-4000:]}"
    return proc


def toronto_inputs() -> list[str]:
    from tools.vigil_tools import toronto
    return ["--input", str(toronto.dataset_path("train")), "--input", str(toronto.dataset_path("test"))]


@pytest.fixture(scope="module")
def toronto_frame():
    return C.load_frame()


@needs_binary
def test_replay_probes_match_reference(tmp_path, toronto_frame):
    probes, summary = tmp_path / "probes.ndjson", tmp_path / "summary.json"
    replay(toronto_inputs() + ["--probes", "1000", "--probe-seed", "7", "--probe-output", str(probes),
                               "--output", str(tmp_path / "alerts.ndjson"), "--summary", str(summary)], tmp_path)
    records = list(iter_ndjson(probes))
    assert len(records) == 1000
    assert json.loads(summary.read_text())["incidents"] == len(toronto_frame)
    mismatches = W.reference_counts(W.WindowIndex(toronto_frame), records)
    assert mismatches == [], f"{len(mismatches)} mismatches, first: {mismatches[:5]}"


@needs_binary
def test_replay_hotspots_match_reference(tmp_path, toronto_frame):
    state_path = tmp_path / "hotspots.json"
    replay(toronto_inputs() + ["--hotspots-output", str(state_path),
                               "--output", str(tmp_path / "alerts.ndjson")], tmp_path)
    ev = H.evaluate(toronto_frame)
    cmp = H.compare_state(ev, json.loads(state_path.read_text()))
    assert cmp.ok, "\n".join(cmp.lines + cmp.failures[:20])
    assert cmp.jaccard == 1.0


@needs_binary
def test_replay_detects_planted_surges(tmp_path):
    # Vigil's surge baseline is the trailing 8 weeks (evidence.trailing_weeks): it raises no surge
    # alert before the stream has 8 weeks of history, so anchors start after a 56-day warm-up.
    stream, truth = P.plant(P.load_records([]), surges=100, seed=1, start=date(2020, 1, 1),
                            end=date(2021, 12, 31), warmup_days=SURGE_WARMUP_DAYS)
    write_ndjson(tmp_path / "planted.ndjson", stream)
    alerts = tmp_path / "alerts.ndjson"
    config = tmp_path / "surges.toml"
    config.write_text('[alerts]\nkinds = ["surge"]\n')  # the neighbourhood surge rule's alerts are opt-in
    replay(["--input", str(tmp_path / "planted.ndjson"), "--config", str(config), "--output", str(alerts)], tmp_path)
    res = S.score(truth, iter_ndjson(alerts), window_hours=6)
    missed = [(s["category"], s["neighbourhood"], C.format_rfc3339_ms(s["start_ms"])) for s in res.missed[:10]]
    assert res.rate >= 0.95, f"detection {res.rate:.3f}; missed e.g. {missed}"
