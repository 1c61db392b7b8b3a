"""The offline twin on small hand-made inputs whose answers are worked out by hand from the spec.

Every expected number below is written as the spec's arithmetic on the
counts of the hand-made scenario (not computed by the twin's code paths).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tools.reference.clusters_twin import ClusterTwin, ScanParams, disc_offsets, nb_surprise
from tools.reference.common import HOUR_MS, Grid, frame_from_records

GRID = Grid()
WC = 2900          # the current week of the scenario (hours WC*168 ...)
C = (60, 40)       # the evaluated cell


def cell_point(cx: int, cy: int, frac: float = 0.5) -> tuple[float, float]:
    """A (lat, lon) inside cell (cx, cy): inverse of the grid's projection."""
    lat = GRID.south + (cy + frac) * GRID.cell_size / GRID.m_per_deg_lat
    lon = GRID.west + (cx + frac) * GRID.cell_size / GRID.m_per_deg_lon
    return lat, lon


def t_of(week: int, k: int) -> int:
    return (week * 168 + k) * HOUR_MS


def inc(id_: str, week: int, k: int, cell: tuple[int, int], cat: str = "A", frac: float = 0.5,
        minute: int = 0) -> tuple[dict, int]:
    lat, lon = cell_point(*cell, frac)
    return {"id": id_, "category": cat, "lat": lat, "lon": lon}, t_of(week, k) + minute * 60_000


def twin_of(rows: list[tuple[dict, int]], **kw) -> ClusterTwin:
    """The hand scenarios have a few baseline weeks only: minimum_baseline_weeks 1 unless given; and
    repeat_window 0 (only rows at one point and time collapse) unless given."""
    kw.setdefault("minimum_baseline_weeks", 1)
    kw.setdefault("repeat_window_ms", 0)
    return ClusterTwin(frame_from_records(rows, GRID), ScanParams(**kw))


def cyl(tw: ClusterTwin, id_: str, layer: str) -> pd.DataFrame:
    ev = tw.evaluations()
    e = ev[(ev["id"] == id_) & (ev["layer"] == layer)]
    assert len(e) == 1, f"no single evaluation of {id_}/{layer}: {e}"
    c = tw.cylinders(e["row"].to_numpy(), e["layer_code"].to_numpy())
    return c.set_index(["radius_cells", "duration_h"])


def llr(o: float, e: float) -> float:
    if o > 0 and e == 0:   # a layer with no baseline occurrences (N = 0): E = 0, the LLR is unbounded
        return math.inf
    return o * math.log(o / e) - (o - e) if o > e else 0.0


def test_disc_sizes():
    assert [len(disc_offsets(r)) for r in range(4)] == [1, 5, 13, 29]


# The scenario: baseline and recent history around cell C, then x at week WC, hour of week 5.
#   b1: week WC-10, k=5, cell C, cat A         (in B; same hour of week as x)
#   b2: week WC-2,  k=9, cell C+(1,0), cat A   (in B and in the recent weeks)
#   b3: week WC-30, k=9, far cell, cat B       (in B)
#   b4: week WC-1,  k=9, far cell, cat B       (recent, not in B)
#   b5: week WC-54, k=5, cell C, cat A         (before B: ignored by B)
#   p1: week WC, k=3, cell C, cat A            (in the 3 h cylinder of x, not in the 1 h one)
#   x:  week WC, k=5, cell C, cat A
#   y:  week WC, k=5, cell C (other point), cat A, same time, id after x (not yet processed for x)
FAR = (10, 10)


def scenario() -> list[tuple[dict, int]]:
    return [
        inc("b1", WC - 10, 5, C), inc("b2", WC - 2, 9, (C[0] + 1, C[1])), inc("b3", WC - 30, 9, FAR, "B"),
        inc("b4", WC - 1, 9, FAR, "B"), inc("b5", WC - 54, 5, C), inc("p1", WC, 3, C),
        inc("x", WC, 5, C), inc("y", WC, 5, C, frac=0.3),
    ]


def test_expected_all_layer_by_hand():
    tw = twin_of(scenario())
    c = cyl(tw, "x", "all")
    # B = WC-53..WC-2: b1, b2, b3 -> N = 3, Wa = 3 weeks with data
    N, Wa = 3, 3
    # recent WC-4..WC-1: b2, b4 -> 2; level = (2+1) / (4*3/3 + 1) = 3/5
    level = 3 / 5
    a = 0.5 / 52 * 1.0
    norm = (N + 168) / 168
    q5 = (1 + 1) / norm          # b1 at hour of week 5
    q_other = 1 / norm           # hours 3, 4 have no baseline occurrence
    # r = 0: n_D = 1 (b1), |D| = 1; d = 1: S = q5/168
    E01 = level * (q5 / 168) * (1 / Wa + a * 1)
    assert c.loc[(0, 1), "observed"] == 1
    assert c.loc[(0, 1), "expected"] == pytest.approx(E01, rel=1e-12)
    assert c.loc[(0, 1), "llr"] == pytest.approx(llr(1, E01), rel=1e-12)
    # d = 3: hours k = 3, 4, 5 -> S = (q3 + q4 + q5)/168; O = p1 + x = 2
    E03 = level * ((2 * q_other + q5) / 168) * (1 / Wa + a)
    assert c.loc[(0, 3), "observed"] == 2
    assert c.loc[(0, 3), "expected"] == pytest.approx(E03, rel=1e-12)
    assert c.loc[(0, 3), "llr"] == pytest.approx(llr(2, E03), rel=1e-12)
    # r = 1: disc holds C+(1,0) too: n_D = 2 (b1, b2), |D| = 5
    E13 = level * ((2 * q_other + q5) / 168) * (2 / Wa + 5 * a)
    assert c.loc[(1, 3), "expected"] == pytest.approx(E13, rel=1e-12)
    # d = 168: every hour of the week once -> S = sum q / 168 = 1 (the profile's mean is 1)
    E0w = level * 1.0 * (1 / Wa + a)
    assert c.loc[(0, 168), "expected"] == pytest.approx(E0w, rel=1e-12)
    # the far cell's b3/b4 never enter a disc around C (r <= 3)
    assert c.loc[(3, 168), "observed"] == 2


def test_expected_category_layer_level_and_prior_share():
    tw = twin_of(scenario())
    c = cyl(tw, "x", "A")
    # layer A in B: b1, b2 -> N = 2; N_all = 3; Wa = 3 (weeks with any occurrence)
    N, N_all, Wa = 2, 3, 3
    level = (1 + 1) / (4 * N / Wa + 1)       # recent A: b2 only
    a = 0.5 / 52 * (N / N_all)              # the category's share of the prior
    norm = (N + 168) / 168
    q5, q_other = 2 / norm, 1 / norm
    E = level * (q5 / 168) * (1 / Wa + a)
    assert c.loc[(0, 1), "expected"] == pytest.approx(E, rel=1e-12)
    E2 = level * ((2 * q_other + q5) / 168) * (2 / Wa + 13 * a)
    assert c.loc[(2, 3), "expected"] == pytest.approx(E2, rel=1e-12)
    assert c.loc[(2, 3), "observed"] == 2
    # layer B: y is category A, so B is never evaluated around C; b4's B evaluation has Wa from all
    ev = tw.evaluations()
    assert set(ev[ev["id"] == "b4"]["layer"]) == {"all", "B"}


def test_same_hour_later_incident_not_yet_counted():
    tw = twin_of(scenario())
    assert cyl(tw, "x", "all").loc[(0, 1), "observed"] == 1
    assert cyl(tw, "y", "all").loc[(0, 1), "observed"] == 2   # x was processed before y


def test_duplicate_rule():
    base = [inc("b1", WC - 10, 5, C), inc("b2", WC - 11, 5, FAR, "B")]  # both layers have a baseline
    # d1, d2: identical point and time, categories A and B: one occurrence of `all`, one of each category.
    # d3: identical point/time/category to d1: no new occurrence at all.
    lat, lon = cell_point(*C, 0.7)
    t = t_of(WC, 7)
    rows = base + [({"id": "d1", "category": "A", "lat": lat, "lon": lon}, t),
                   ({"id": "d2", "category": "B", "lat": lat, "lon": lon}, t),
                   ({"id": "d3", "category": "A", "lat": lat, "lon": lon}, t),
                   ({"id": "d4", "category": "A", "lat": lat, "lon": lon}, t + 60_000)]  # a minute later: new
    tw = twin_of(rows)
    ev = tw.evaluations()
    got = sorted(zip(ev["id"], ev["layer"]))
    assert got == [("d1", "A"), ("d1", "all"), ("d2", "B"), ("d4", "A"), ("d4", "all")]
    # d4 counts d1 and itself in `all` (d2, d3 duplicates of d1's point and time collapse)
    assert cyl(tw, "d4", "all").loc[(0, 1), "observed"] == 2
    assert cyl(tw, "d4", "A").loc[(0, 1), "observed"] == 2
    assert cyl(tw, "d2", "B").loc[(0, 1), "observed"] == 1


def test_repeat_window_collapses_repeats_at_one_point():
    base = [inc("b1", WC - 10, 5, FAR), inc("b2", WC - 11, 5, FAR, "B")]
    lat, lon = cell_point(*C, 0.7)
    t0 = t_of(WC, 20)
    H = HOUR_MS
    rows = base + [({"id": "r1", "category": "A", "lat": lat, "lon": lon}, t0),
                   ({"id": "r2", "category": "A", "lat": lat, "lon": lon}, t0 + 5 * H),          # < 24 h: repeat
                   ({"id": "r3", "category": "B", "lat": lat, "lon": lon}, t0 + 24 * H - 60_000),  # all: repeat; B: new
                   ({"id": "r4", "category": "A", "lat": lat, "lon": lon}, t0 + 24 * H),          # 24 h after r1: new
                   ({"id": "r5", "category": "A", "lat": lat, "lon": lon}, t0 + 30 * H)]          # 6 h after r4: repeat
    tw = twin_of(rows, repeat_window_ms=24 * H)
    got = {(i, layer) for i, layer in zip(tw.evaluations()["id"], tw.evaluations()["layer"]) if i.startswith("r")}
    assert got == {("r1", "all"), ("r1", "A"), ("r3", "B"), ("r4", "all"), ("r4", "A")}
    # r4's 168 h cylinder in `all` holds r1 and r4 only
    assert cyl(tw, "r4", "all").loc[(0, 168), "observed"] == 2
    # repeat_window 0: only rows at the same point and time collapse, so every row here counts
    tw0 = twin_of(rows, repeat_window_ms=0)
    assert cyl(tw0, "r5", "all").loc[(0, 168), "observed"] == 5


def test_no_evaluation_without_baseline_weeks():
    # only data in the previous week: B is empty -> Wa = 0 -> no evaluation
    rows = [inc("p", WC - 1, 5, C), inc("x", WC, 5, C)]
    tw = twin_of(rows)
    assert tw.evaluations().empty
    # one occurrence 53 weeks back is in B -> x is evaluated, Wa = 1
    rows = [inc("p", WC - 53, 9, FAR), inc("x", WC, 5, C)]
    tw = twin_of(rows)
    c = cyl(tw, "x", "all")
    N, Wa = 1, 1
    level = (0 + 1) / (4 * N / Wa + 1)
    q5 = 1 / ((N + 168) / 168)
    E = level * (q5 / 168) * (0 / Wa + 0.5 / 52)
    assert c.loc[(0, 1), "expected"] == pytest.approx(E, rel=1e-12)
    # 54 weeks back is outside B
    assert twin_of([inc("p", WC - 54, 5, FAR), inc("x", WC, 5, C)]).evaluations().empty


def test_weeks_with_data_counts_weeks_not_incidents():
    rows = [inc("p1", WC - 20, 1, FAR), inc("p2", WC - 20, 2, FAR), inc("p3", WC - 20, 3, FAR),
            inc("p4", WC - 5, 1, FAR), inc("x", WC, 5, C)]
    tw = twin_of(rows)
    c = cyl(tw, "x", "all")
    N, Wa = 4, 2
    level = (0 + 1) / (4 * N / Wa + 1)
    q5 = 1 / ((N + 168) / 168)
    E = level * (q5 / 168) * (0 / Wa + 0.5 / 52 * 1)
    assert c.loc[(0, 1), "expected"] == pytest.approx(E, rel=1e-12)


def test_hour_of_week_wraps_across_the_week_boundary():
    # x at hour of week 1 with d = 3: hours of week 167, 0, 1
    rows = [inc("p", WC - 10, 167, FAR), inc("p2", WC - 10, 100, FAR), inc("x", WC, 1, C)]
    tw = twin_of(rows)
    c = cyl(tw, "x", "all")
    N, Wa = 2, 1
    norm = (N + 168) / 168
    S = (2 / norm + 1 / norm + 1 / norm) / 168
    level = 1 / (4 * N / Wa + 1)
    assert c.loc[(0, 3), "expected"] == pytest.approx(level * S * (0.5 / 52), rel=1e-12)


def test_findings_pick_largest_surprise_over_both_layers():
    tw = twin_of(scenario())
    ev = tw.evaluations()
    e = ev[ev["id"] == "y"]
    assert list(e["layer"]) == ["all", "A"]
    f = tw.findings(e["row"].to_numpy(), e["layer_code"].to_numpy())
    c = pd.concat([cyl(tw, "y", "all").reset_index(), cyl(tw, "y", "A").reset_index()])
    cand = c[(c["observed"] >= 3) & (c["surprise"] > 0)]
    assert len(f) == 1
    assert f["surprise"].iloc[0] == pytest.approx(cand["surprise"].max(), rel=1e-15)
    # ties keep the earlier: layer all, then smaller r, then smaller d
    best = cand[cand["surprise"] == cand["surprise"].max()].assign(rank=lambda d: (d["layer"] != "all").astype(int))
    best = best.sort_values(["rank", "radius_cells", "duration_h"]).iloc[0]
    assert (f["layer"].iloc[0], f["radius_cells"].iloc[0], f["duration_h"].iloc[0]) == \
        (best["layer"], best["radius_cells"], best["duration_h"])
    # x has only O <= 2 cylinders: no candidate, no finding
    ex = ev[ev["id"] == "x"]
    assert tw.findings(ex["row"].to_numpy(), ex["layer_code"].to_numpy()).empty


def test_minimum_baseline_weeks_and_empty_layer_gate_evaluations():
    # 7 weeks with data in B: no evaluation at the default of 8; the 8th week opens it
    hist = [inc(f"h{k}", WC - 10 - k, 9, FAR) for k in range(7)]
    x = inc("x", WC, 5, C)
    assert ClusterTwin(frame_from_records(hist + [x], GRID)).evaluations().empty
    hist8 = hist + [inc("h7", WC - 40, 9, FAR)]
    ev = ClusterTwin(frame_from_records(hist8 + [x], GRID)).evaluations()
    assert list(zip(ev["id"], ev["layer"])) == [("x", "all"), ("x", "A")]
    # a category with no occurrence in B (N = 0) is not evaluated; `all` still is
    xb = inc("xb", WC, 6, C, "B", frac=0.3)
    ev = ClusterTwin(frame_from_records(hist8 + [x, xb], GRID)).evaluations()
    assert ("xb", "B") not in set(zip(ev["id"], ev["layer"])) and ("xb", "all") in set(zip(ev["id"], ev["layer"]))


def test_durations_from_the_shipped_config_format(tmp_path):
    cfg = tmp_path / "v.toml"
    cfg.write_text('[grid]\ncell_size_m = 200.0\n[clusters]\nmax_radius_m = 600.0\n'
                   'durations = ["1h", "3d", "1w"]\nminimum_baseline_weeks = 4\nrepeat_window = "6h"\n')
    p = ScanParams.from_config(cfg)
    assert (p.cell_size_m, p.max_radius_cells, p.durations_hours, p.minimum_baseline_weeks, p.repeat_window_ms) == \
        (200.0, 3, (1, 72, 168), 4, 6 * HOUR_MS)
    assert ScanParams.from_config(None).repeat_window_ms == 0


def test_rejects_unsorted_frames():
    df = frame_from_records(scenario(), GRID)
    with pytest.raises(ValueError):
        ClusterTwin(df.iloc[::-1].reset_index(drop=True))


def brute_force(rows: list[tuple[dict, int]], p: ScanParams) -> dict[tuple[str, str, int, int], tuple[int, float, float]]:
    """The spec read literally, one evaluation at a time with plain loops (slow, small inputs only)."""
    df = frame_from_records(rows, GRID)
    recs = df.to_dict("records")
    seen: dict[str, dict] = {}
    occ: list[tuple[str, int, int, int, int]] = []   # processed occurrences: layer, cx, cy, hour, order
    out = {}
    R = int(p.max_radius_m // p.cell_size_m)
    for i, x in enumerate(recs):
        h = x["t"] // HOUR_MS
        for L in ("all", x["category"]):
            last = seen.setdefault(L, {}).get((x["lat"], x["lon"]))
            if last is not None and abs(x["t"] - last) < max(p.repeat_window_ms, 1):
                continue
            seen[L][(x["lat"], x["lon"])] = x["t"]
            occ.append((L, x["cx"], x["cy"], h, i))
            wc = h // 168
            B = range(wc - 53, wc - 1)
            before = [o for o in occ if o[4] < i]
            inB = [o for o in before if o[3] // 168 in B]
            Wa = len({o[3] // 168 for o in inB if o[0] == "all"})
            mine = [o for o in inB if o[0] == L]
            N = len(mine)
            if Wa < max(1, p.minimum_baseline_weeks) or N == 0:
                continue
            N_all = len([o for o in inB if o[0] == "all"])
            recent = len([o for o in before if o[0] == L and wc - 4 <= o[3] // 168 <= wc - 1])
            level = (recent + 1) / (4 * N / Wa + 1)
            a = p.prior_per_cell_year / 52 * N / N_all
            q = {k: (sum(1 for o in mine if o[3] % 168 == k) + 1) / ((N + 168) / 168) for k in range(168)}
            for r in range(R + 1):
                disc = {(x["cx"] + dx, x["cy"] + dy) for dx in range(-r, r + 1) for dy in range(-r, r + 1)
                        if dx * dx + dy * dy <= r * r}
                nD = sum(1 for o in mine if (o[1], o[2]) in disc)
                for d in p.durations_hours:
                    H = range(h - d + 1, h + 1)
                    O = sum(1 for o in occ if o[0] == L and (o[1], o[2]) in disc and o[3] in H)
                    S = sum(q[hh % 168] for hh in H) / 168
                    E = level * S * (nD / Wa + a * len(disc))
                    out[(x["id"], L, r, d)] = (O, E, llr(O, E))
    return out


def test_twin_equals_brute_force_on_random_data():
    rng = np.random.default_rng(7)
    rows = []
    n = 260
    weeks = rng.integers(WC - 60, WC + 1, n)
    hours = rng.integers(0, 168, n)
    cells = rng.integers(0, 6, (n, 2)) + np.array(C)
    cats = rng.choice(["A", "B", "C"], n, p=[0.6, 0.3, 0.1])
    for k in range(n):
        rows.append(inc(f"r{k:03d}", int(weeks[k]), int(hours[k]), (int(cells[k, 0]), int(cells[k, 1])), str(cats[k]),
                        frac=float(rng.choice([0.2, 0.5]))))
    # exact duplicates (same point and time) with and without the same category
    for k in range(0, 40, 4):
        o, t = rows[k]
        rows.append(({**o, "id": f"dup{k:03d}"}, t))
        rows.append(({**o, "id": f"dupc{k:03d}", "category": "C"}, t))
    p = ScanParams(durations_hours=(1, 3, 24, 168, 400), minimum_baseline_weeks=5, repeat_window_ms=30 * HOUR_MS)
    want = brute_force(rows, p)
    tw = ClusterTwin(frame_from_records(rows, GRID), p)
    ev = tw.evaluations()
    got = tw.cylinders(ev["row"].to_numpy(), ev["layer_code"].to_numpy())
    assert len(got) == len(want) > 1000
    for rec in got.itertuples():
        O, E, L = want[(rec.incident, rec.layer, rec.radius_cells, rec.duration_h)]
        assert rec.observed == O, rec
        assert rec.expected == pytest.approx(E, rel=1e-12), rec
        assert rec.llr == pytest.approx(L, rel=1e-12, abs=1e-12) or rec.llr == L == math.inf, rec


def test_surprise_is_the_negative_binomial_tail():
    """nb_surprise against a direct sum of the pmf (math.lgamma), its Poisson limit, and its
    properties: 0 without an excess, smaller for a lighter baseline at the same expectation."""
    def direct(o: int, e: float, w: float) -> float:
        p = e / (e + w)   # probability of each further count
        terms = [math.lgamma(k + w) - math.lgamma(w) - math.lgamma(k + 1) + w * math.log1p(-p) + k * math.log(p)
                 for k in range(o, o + 3000)]
        m = max(terms)
        return -(m + math.log(sum(math.exp(t - m) for t in terms)))

    cases = [(3, 0.0003, 0.016), (5, 0.03, 8.5), (4, 0.002, 11.5), (9, 0.19, 408.0), (16, 1.54, 76.6),
             (3, 2.9, 5.0), (60, 2.0, 30.0), (400, 1.0, 3.0),
             (900, 0.5, 2.0)]   # a tail below 1e-308: scipy underflows, the log-space sum takes over
    got = nb_surprise(np.array([c[0] for c in cases]), np.array([c[1] for c in cases]), np.array([c[2] for c in cases]))
    for (o, e, w), s in zip(cases, got):
        assert s == pytest.approx(direct(o, e, w), rel=1e-9), (o, e, w)
    # a heavy baseline is (nearly) Poisson
    from scipy.stats import poisson
    assert nb_surprise(np.array([6]), np.array([0.05]), np.array([1e6]))[0] == \
        pytest.approx(-poisson.logsf(5, 0.05), rel=1e-5)
    # no excess, no surprise
    assert list(nb_surprise(np.array([2, 3]), np.array([2.0, 3.5]), np.array([10.0, 10.0]))) == [0.0, 0.0]
    # at a fixed ratio E / weight, more weight (more history) means a more likely count: less surprise
    w = np.array([0.01, 0.1, 1.0, 10.0, 100.0])
    s = nb_surprise(np.full(5, 4), w * 0.002, w)
    assert all(np.diff(s) < 0)
    # at a fixed expectation, a lighter baseline widens the null: less surprise than Poisson
    s = nb_surprise(np.full(4, 4), np.full(4, 0.01), np.array([0.05, 1.0, 20.0, 1e6]))
    assert all(np.diff(s) > 0)
