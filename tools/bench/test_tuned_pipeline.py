"""The tuned Python consumer's window counts agree with a brute-force pandas count (in order and
slightly out of order), late events are left out like Vigil's late path, and its count rule
fires like Vigil's. Fast: < 3 s."""
import math
from datetime import UTC

import numpy as np
import orjson
import pandas as pd

from tools.bench.test_python_pipeline import incidents
from tools.bench.tuned_pipeline import (
    BBOX,
    CELL,
    COUNT_THRESHOLD,
    HOUR,
    LATENESS,
    M_LAT,
    M_LON,
    SPECS,
    Consumer,
    event_ms,
)


def cell(e):
    return (math.floor((e["lon"] - BBOX[1]) * M_LON / CELL), math.floor((e["lat"] - BBOX[0]) * M_LAT / CELL))


def reference_counts(events):
    """For each counted event: events counted so far (itself included) whose bucket lies in (b - w, b]
    for its own cell (4 horizons), its 3×3 block (4 horizons), and its (category, cell) over 24h/1h.
    Events behind the newest event time by more than the lateness are not counted."""
    rows, newest = [], None
    for e in events:
        t = event_ms(e["event_time"])
        late = newest is not None and t < newest - LATENESS
        newest = t if newest is None else max(newest, t)
        x, y = cell(e)
        rows.append({"t": t, "x": x, "y": y, "category": e["category"], "late": late})
    df = pd.DataFrame(rows)
    out = []
    for i, row in df.iterrows():
        if row["late"]:
            continue
        seen = df.iloc[: i + 1]
        seen = seen[~seen["late"]]
        own = (seen["x"] == row["x"]) & (seen["y"] == row["y"])
        block = ((seen["x"] - row["x"]).abs() <= 1) & ((seen["y"] - row["y"]).abs() <= 1)
        result = []
        for mask in (own, block):
            for h, r in SPECS:
                b = row["t"] // r
                buckets = seen["t"][mask] // r
                result.append(int(((buckets > b - h // r) & (buckets <= b)).sum()))
        b = row["t"] // HOUR
        buckets = seen["t"][own & (seen["category"] == row["category"])] // HOUR
        result.append(int(((buckets > b - 24) & (buckets <= b)).sum()))
        out.append(result)
    return np.array(out)


def run(events):
    c = Consumer()
    got, alerts = [], []
    for e in events:
        counts = c.process(e, [], alerts)
        if counts is not None:
            got.append(counts)
    return np.array(got), alerts, c


def test_counts_match_pandas_in_order():
    events = incidents(n=250)
    got, _, _ = run(events)
    assert (got == reference_counts(events)).all()


def test_counts_match_pandas_out_of_order_and_late_events_are_dropped():
    events = incidents(n=250, seed=11, shuffle_within_minutes=50)
    # Two events far behind the newest: beyond the allowed lateness, so not counted.
    events.insert(120, dict(events[10], id="late-1"))
    events.insert(200, dict(events[20], id="late-2"))
    got, _, c = run(events)
    assert c.late == 2
    assert (got == reference_counts(events)).all()


def test_count_rule_and_batch_run():
    from datetime import datetime, timedelta

    base = datetime(2021, 3, 1, 10, tzinfo=UTC)
    events = [{"id": f"a{i}", "event_time": (base + timedelta(minutes=5 * i)).isoformat(), "category": "Assault",
               "lat": 43.6532, "lon": -79.3832} for i in range(COUNT_THRESHOLD + 3)]
    c = Consumer()
    alerts = c.run_batch([orjson.dumps(e) for e in events] + [b"{not json"])
    assert c.processed == len(events)
    assert [a["incident_ids"] for a in alerts] == [[f"a{COUNT_THRESHOLD - 1}"]]
