"""Planted episodes end to end: generator -> vigil replay -> scorer, at the issue's acceptance levels.

Two seeds (101, 102; the held-out seeds of docs/ACCURACY.md are 1-10), each
10 surges, 4 emerging clusters and 4 control windows planted into the real
stream of 2021-01-15 .. 2021-06-30 with the history from 2020-01-01 (a year
of baseline).  Prints issue 11's levels (surges >= 95 % found overall and
>= 80 % of the 4-6-incident ones, median delay <= 1 h; clusters >= 90 %,
median delay <= 24 h; no control window alerted) and asserts them all.

The generator's own guarantees are checked independently first (radius,
whole hours, no collapsing duplicates, quiet places, separation).
Skipped only when ``VIGIL_BINARY`` is unset (tools/test.sh sets it).
"""

from __future__ import annotations

import os
from datetime import date

import numpy as np
import pandas as pd
import pytest

from tools.reference.common import DAY_MS, HOUR_MS, parse_rfc3339_ms
from tools.reference.plant_episodes import PlantParams, plant_episodes
from tools.reference.plant_surges import day_start_ms
from tools.reference.run_episodes import run
from tools.reference.score_episodes import table

VIGIL_BINARY = os.environ.get("VIGIL_BINARY")
SEEDS = (101, 102)
PERIOD = (day_start_ms(date(2021, 1, 15)), day_start_ms(date(2021, 7, 1)))
HISTORY_FROM = day_start_ms(date(2020, 1, 1))
PARAMS = PlantParams(surges=10, clusters=4, controls=4)


def haversine_m(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6371008.8 * np.arcsin(np.sqrt(h))


def test_generator_guarantees(toronto_records):
    stream, truth = plant_episodes(toronto_records, seed=SEEDS[0], period=PERIOD, history_from=HISTORY_FROM,
                                   params=PARAMS)
    df = pd.DataFrame({"id": [o["id"] for o, _ in stream], "t": [t for _, t in stream],
                       "cat": [o.get("category") for o, _ in stream],
                       "lat": [o.get("lat") for o, _ in stream], "lon": [o.get("lon") for o, _ in stream]})
    assert df["id"].is_unique
    assert (df["t"] >= HISTORY_FROM).all() and (df["t"] < PERIOD[1]).all()
    assert list(zip(df["t"], df["id"])) == sorted(zip(df["t"], df["id"]))
    planted = df[df["id"].str.startswith("plant-")]
    real = df[~df["id"].str.startswith("plant-")]
    # planted rows: whole hours, written times agree, at a real incident's exact location
    assert (planted["t"] % HOUR_MS == 0).all()
    assert all(parse_rfc3339_ms(o["event_time"]) == t for o, t in stream if o["id"].startswith("plant-"))
    real_pts = set(zip(real["lat"], real["lon"]))
    assert all(p in real_pts for p in zip(planted["lat"], planted["lon"]))
    # no planted row is an exact duplicate (same point and time) of another row
    keys = df[["lat", "lon", "t"]].astype(str).agg("|".join, axis=1)
    assert not keys[planted.index].isin(keys.drop(planted.index)).any()
    assert keys[planted.index].is_unique
    eps = truth["episodes"]
    assert [sum(e["kind"] == k for e in eps) for k in ("surge", "cluster", "control")] == [10, 4, 4]
    by_id = planted.set_index("id")
    for e in eps:
        c = e["centre"]
        rows = by_id.loc[e["ids"]] if e["ids"] else by_id.iloc[:0]
        assert len(rows) == e["size"]
        if e["kind"] == "surge":
            assert 4 <= e["size"] <= 12 and 1 <= e["span_hours"] <= 3 and set(rows["cat"]) == {e["category"]}
        elif e["kind"] == "cluster":
            assert 15 <= e["size"] <= 40 and 72 <= e["span_hours"] <= 240
        else:
            assert e["size"] == 0
        assert 1 <= e["occurrences_24h"] <= e["size"] or e["size"] == 0
        if len(rows):
            assert (haversine_m(c["lat"], c["lon"], rows["lat"].to_numpy(), rows["lon"].to_numpy())
                    <= e["radius_m"] * 1.001).all()
            assert rows["t"].min() == e["start_ms"] and rows["t"].max() == e["end_ms"] - HOUR_MS
        # quiet place: recount the year before from the stream (real rows and earlier planted ones)
        prev = df[(df["t"] >= e["start_ms"] - 365 * DAY_MS) & (df["t"] < e["start_ms"])]
        if e["template"] == "surge":
            prev = prev[prev["cat"] == e["category"]]
        near = haversine_m(c["lat"], c["lon"], prev["lat"].to_numpy(), prev["lon"].to_numpy()) <= e["radius_m"] * 0.999
        assert near.sum() <= (4 if e["template"] == "surge" else 8), e
    # episodes apart: >= 2 km or >= 30 days between their windows [start, end + 6 h]
    for i, a in enumerate(eps):
        for b in eps[i + 1:]:
            d = haversine_m(a["centre"]["lat"], a["centre"]["lon"], b["centre"]["lat"], b["centre"]["lon"])
            gap = max(b["start_ms"] - (a["end_ms"] + 6 * HOUR_MS), a["start_ms"] - (b["end_ms"] + 6 * HOUR_MS))
            assert d >= 1990 or gap >= 30 * DAY_MS, (a["episode"], b["episode"], d, gap)


@pytest.mark.skipif(not VIGIL_BINARY, reason="VIGIL_BINARY is not set (tools/test.sh sets it)")
def test_planted_episodes_meet_issue_11(toronto_records, shipped_config, tmp_path):
    res = run(SEEDS, tmp_path, VIGIL_BINARY, shipped_config, period=PERIOD, history_from=HISTORY_FROM,
              params=PARAMS, records=toronto_records)
    text = table(res)
    print(text)
    # Issue 11's levels, all met by the shipped scan on the held-out seeds (docs/ACCURACY.md), are
    # asserted here at the issue's level on these two seeds too.
    failing = [k for k, v in res["acceptance"].items() if not v["ok"]]
    assert not failing, f"issue 11 levels not met: {failing}\n{text}"


@pytest.mark.skipif(not VIGIL_BINARY, reason="VIGIL_BINARY unset")
def test_scaled_out_replay_says_what_one_engine_says(toronto_records, shipped_config, tmp_path):
    """Issue 18: the planted stream's cluster alerts through N partitions by tile (router, halo
    copies, one lifecycle: ``vigil replay --scale-out N``) are byte for byte one engine's."""
    import subprocess

    run((103,), tmp_path, VIGIL_BINARY, shipped_config, period=PERIOD, history_from=HISTORY_FROM,
        params=PARAMS, records=toronto_records)
    stream, one = tmp_path / "stream-103.ndjson", (tmp_path / "alerts-103.ndjson").read_bytes()
    assert one.count(b"cluster_emerging") >= 4, "the planted clusters must alert"
    for n in (2, 6, 13):
        out = tmp_path / f"scaled-{n}.ndjson"
        subprocess.run([VIGIL_BINARY, "replay", "--quiet", "--config", str(shipped_config), "--input", str(stream),
                        "--output", str(out), "--scale-out", str(n)], check=True, capture_output=True)
        assert out.read_bytes() == one, f"{n} partitions differ from one engine"
