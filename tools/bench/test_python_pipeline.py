"""The Python reference pipeline's rolling counts agree with a brute-force pandas count on a tiny
input (in order and slightly out of order), and its count rule fires like Vigil's. Fast: < 2 s."""
import json
import random
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pandas as pd

from tools.bench.python_pipeline import COUNT_SPEC, SPECS, THRESHOLD, Pipeline, event_ms, main

CATEGORIES = ["Assault", "Robbery", "Break and Enter"]
POINTS = [(43.6532, -79.3832), (43.6540, -79.3840), (43.7000, -79.4000)]  # two share a cell
NEIGHBOURHOODS = ["Annex", "Moss Park"]


def incidents(n=300, seed=7, shuffle_within_minutes=0):
    rng = random.Random(seed)
    start = datetime(2021, 3, 1, tzinfo=timezone(timedelta(hours=-5)))
    t = start
    out = []
    for i in range(n):
        t += timedelta(minutes=rng.choice([1, 3, 10, 45, 180, 600]))
        lat, lon = rng.choice(POINTS)
        out.append({"id": f"t-{i}", "event_time": t.isoformat(), "category": rng.choice(CATEGORIES),
                    "neighbourhood": rng.choice(NEIGHBOURHOODS + [None]), "lat": lat, "lon": lon})
    if shuffle_within_minutes:
        # Swap some neighbours: out of order by less than the allowed lateness.
        for i in range(0, n - 1, 7):
            a, b = out[i], out[i + 1]
            if event_ms(b["event_time"]) - event_ms(a["event_time"]) <= shuffle_within_minutes * 60_000:
                out[i], out[i + 1] = b, a
    return out


def reference_counts(events):
    """For each event: per family and horizon, events seen so far (itself included) of the same
    key whose bucket lies in (b - w, b], with b the event's own bucket. Brute force with pandas."""
    p = Pipeline(use_model=False)
    rows = []
    for e in events:
        rows.append({"t": event_ms(e["event_time"]), "category": e["category"], "cell": "{}_{}".format(*p.grid.cell_of(e["lat"], e["lon"])),
                     "nb": e.get("neighbourhood")})
    df = pd.DataFrame(rows)
    out = []
    for i, row in df.iterrows():
        seen = df.iloc[: i + 1]
        result = []
        for family in ("cc", "c", "cn"):
            if family == "cc":
                mask = (seen["category"] == row["category"]) & (seen["cell"] == row["cell"])
            elif family == "c":
                mask = seen["cell"] == row["cell"]
            else:
                mask = (seen["category"] == row["category"]) & (seen["nb"] == row["nb"]) if row["nb"] is not None else pd.Series(False, index=seen.index)
            for h, r in SPECS:
                if family == "cn" and row["nb"] is None:
                    result.append(0)
                    continue
                b = row["t"] // r
                buckets = seen["t"][mask] // r
                result.append(int(((buckets > b - h // r) & (buckets <= b)).sum()))
        out.append(result)
    return np.array(out)


def run(events):
    p = Pipeline(use_model=False)
    counts, alerts = [], []
    for e in events:
        c, alert = p.process(e)
        counts.append(c)
        if alert:
            alerts.append(alert)
    return np.array(counts), alerts


def test_rolling_counts_match_pandas_in_order():
    events = incidents()
    got, _ = run(events)
    assert (got == reference_counts(events)).all()


def test_rolling_counts_match_pandas_slightly_out_of_order():
    events = incidents(seed=11, shuffle_within_minutes=50)
    assert any(event_ms(a["event_time"]) > event_ms(b["event_time"]) for a, b in zip(events, events[1:]))
    got, _ = run(events)
    assert (got == reference_counts(events)).all()


def test_count_rule_fires_at_threshold_then_cools_down():
    base = datetime(2021, 3, 1, 10, tzinfo=UTC)
    events = [{"id": f"a{i}", "event_time": (base + timedelta(minutes=5 * i)).isoformat(), "category": "Assault",
               "lat": 43.6532, "lon": -79.3832} for i in range(THRESHOLD + 3)]
    counts, alerts = run(events)
    assert counts[THRESHOLD - 1][COUNT_SPEC] == THRESHOLD
    assert len(alerts) == 1 and alerts[0]["incident_ids"] == [f"a{THRESHOLD - 1}"]


def test_file_mode_scores_every_event_after_training(tmp_path, capsys):
    path = tmp_path / "in.ndjson"
    path.write_text("".join(json.dumps(e) + "\n" for e in incidents(n=400)))
    assert main(["--input", str(path)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["messages"] == 400
