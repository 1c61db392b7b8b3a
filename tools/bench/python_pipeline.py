#!/usr/bin/env python3
"""The pipeline a Python team would write instead of Vigil: the reference for the benchmarks.

Consumes canonical incidents (confluent-kafka, batch consume), keeps rolling event-time counts per
(category, cell), (category, neighbourhood) and cell over Vigil's default horizons (15m/1m, 1h/5m,
24h/1h, 7d/6h, 28d/1d, same bucket semantics as Vigil's WindowTable), scores every incident with
a scikit-learn model (``predict_proba`` per event, as a per-event service would), applies the
same count-threshold rule as Vigil (>= 4 in the 24h/1h (category, cell) window, 24h cooldown)
and produces alerts (JSON) to the alerts topic.

Rolling counts use per-key deques of (bucket, count) with running sums: the fastest idiomatic
streaming form in Python (per-event pandas operations are ~100x slower still), so the
comparison flatters Python rather than Vigil. Surges and hotspots are not reimplemented.

Examples:
  # against the broker (benchmark), stop after N messages
  python_pipeline.py --bootstrap 127.0.0.1:9092 --topic incidents --alerts-topic py.alerts --expect 240992
  # offline, same processing without Kafka
  python_pipeline.py --input /tmp/all.ndjson
  # with a trained model (any pickled/joblib object with predict_proba), or none
  python_pipeline.py --input /tmp/all.ndjson --model model.joblib
  python_pipeline.py --input /tmp/all.ndjson --no-model
"""
from __future__ import annotations

import json
import math
import sys
import time
from collections import deque
from datetime import datetime

import numpy as np

from tools.bench import pipeline_runner

# Vigil's defaults (Config/vigil.toml): horizon and resolution in milliseconds.
MINUTE, HOUR, DAY = 60_000, 3_600_000, 86_400_000
SPECS = [(15 * MINUTE, MINUTE), (HOUR, 5 * MINUTE), (24 * HOUR, HOUR), (7 * DAY, 6 * HOUR), (28 * DAY, DAY)]
COUNT_SPEC = 2  # 24h/1h
THRESHOLD = 4
COOLDOWN = 24 * HOUR
BBOX = (43.58, -79.64, 43.86, -79.11)  # south, west, north, east
CELL = 250.0
EARTH = 6_371_008.8


class Grid:
    """Vigil's MetricGrid: local equirectangular projection, square cells in metres."""

    def __init__(self, south=BBOX[0], west=BBOX[1], north=BBOX[2], east=BBOX[3], cell=CELL):
        self.south, self.west, self.cell = south, west, cell
        self.m_lat = EARTH * math.pi / 180
        self.m_lon = self.m_lat * math.cos((south + north) / 2 * math.pi / 180)

    def cell_of(self, lat: float, lon: float) -> tuple[int, int]:
        return (math.floor((lon - self.west) * self.m_lon / self.cell), math.floor((lat - self.south) * self.m_lat / self.cell))


class Rolling:
    """Counts of one key over one horizon: events whose bucket lies in (b - w, b].

    ``window`` holds the buckets of the window ending at the newest bucket (with their running
    total); ``old`` keeps the buckets just before it that a late event's own window can still
    reach (the allowed lateness, 1h, as in Vigil)."""

    __slots__ = ("w", "keep", "window", "old", "total")

    def __init__(self, w: int, resolution: int, lateness: int = HOUR):
        self.w = w
        self.keep = -(-lateness // resolution) + 1
        self.window: deque = deque()  # [bucket, count], increasing buckets
        self.old: deque = deque()
        self.total = 0

    def add(self, b: int) -> int:
        """Counts an event in bucket b; returns the count of the window ending at b."""
        q = self.window
        if not q or b > q[-1][0]:
            while q and q[0][0] <= b - self.w:
                entry = q.popleft()
                self.total -= entry[1]
                self.old.append(entry)
            old = self.old
            while old and old[0][0] <= b - self.w - self.keep:
                old.popleft()
            q.append([b, 1])
            self.total += 1
            return self.total
        # Out of order (within the allowed lateness): count it in place, answer for its own window.
        head = q[-1][0]
        target = q if b > head - self.w else self.old
        if target is q:
            self.total += 1
        for k in range(len(target) - 1, -1, -1):
            if target[k][0] == b:
                target[k][1] += 1
                break
            if target[k][0] < b:
                target.insert(k + 1, [b, 1])
                break
        else:
            target.appendleft([b, 1])
        return sum(c for bb, c in self.old if b - self.w < bb <= b) + sum(c for bb, c in q if b - self.w < bb <= b)


def event_ms(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def features(counts: list[int], t_ms: int) -> np.ndarray:
    hour = (t_ms // HOUR) % 24
    x = np.empty(len(counts) + 2)
    x[: len(counts)] = np.log1p(counts)
    x[-2] = math.sin(2 * math.pi * hour / 24)
    x[-1] = math.cos(2 * math.pi * hour / 24)
    return x


class Pipeline:
    """Per-event processing, independent of where the events come from."""

    def __init__(self, model=None, train_on_first: int = 2000, use_model: bool = True):
        self.grid = Grid()
        self.windows: dict = {}
        self.last_alert: dict = {}
        self.model = model
        self.use_model = use_model
        self.train_on_first = train_on_first
        self.training: list = []
        self.labels: list = []
        self.processed = 0
        self.alerts = 0
        self.score_sum = 0.0

    def counts(self, key, t_ms: int) -> list[int]:
        rollers = self.windows.get(key)
        if rollers is None:
            rollers = self.windows[key] = [Rolling(h // r, r) for h, r in SPECS]
        return [roller.add(t_ms // r) for roller, (_, r) in zip(rollers, SPECS)]

    def process(self, incident: dict) -> tuple[list[int], dict | None]:
        """Counts the incident in every window of its keys; returns the counts and an alert or None."""
        t = event_ms(incident["event_time"])
        cell = self.grid.cell_of(incident["lat"], incident["lon"])
        category = incident["category"]
        cc = self.counts(("cc", category, cell), t)
        c = self.counts(("c", cell), t)
        n = incident.get("neighbourhood")
        cn = self.counts(("cn", category, n), t) if n else [0] * len(SPECS)
        all_counts = cc + c + cn
        self.processed += 1
        if self.use_model:
            x = features(all_counts, t)
            if self.model is None:
                # No model given: train a small logistic regression on the first events (label: the
                # cell already had another incident in the last 24h), then score every event.
                self.training.append(x)
                self.labels.append(1 if c[2] >= 2 else 0)
                if len(self.training) >= self.train_on_first and len(set(self.labels)) == 2:
                    from sklearn.linear_model import LogisticRegression
                    self.model = LogisticRegression(max_iter=200).fit(np.array(self.training), np.array(self.labels))
            else:
                self.score_sum += float(self.model.predict_proba(x.reshape(1, -1))[0, 1])
        alert = None
        key = (category, cell)
        if cc[COUNT_SPEC] >= THRESHOLD:
            last = self.last_alert.get(key)
            if last is None or t >= last + COOLDOWN:
                self.last_alert[key] = t
                self.alerts += 1
                bucket = t // HOUR
                alert = {"kind": "count_threshold", "rule": "category_cell_count", "category": category,
                         "cell": f"x{cell[0]}y{cell[1]}", "count": cc[COUNT_SPEC], "threshold": THRESHOLD,
                         "window_end_ms": (bucket + 1) * HOUR, "incident_ids": [incident["id"]]}
        return all_counts, alert


def run_file(path: str, pipeline: Pipeline) -> dict:
    with open(path, "rb") as f:
        lines = f.read().splitlines()
    start = time.perf_counter()
    for line in lines:
        if line:
            pipeline.process(json.loads(line))
    seconds = time.perf_counter() - start
    return {"mode": "file", "messages": pipeline.processed, "seconds": round(seconds, 3),
            "messages_per_s": round(pipeline.processed / seconds), "alerts": pipeline.alerts}


def run_kafka(args, pipeline: Pipeline) -> dict:
    def handle(messages) -> list[tuple[bytes, bytes | None]]:
        out = []
        for message in messages:
            try:
                _, alert = pipeline.process(json.loads(message.value()))
            except (ValueError, KeyError, TypeError):
                continue  # Vigil dead-letters these; the reference just skips them
            if alert is not None:
                out.append((json.dumps(alert).encode(), alert["cell"].encode()))
        return out

    result = pipeline_runner.consume(args, handle, group_prefix="py-pipeline", batch=1000, auto_commit=False, linger_ms=1)
    del result["cpu_seconds"]
    return {**result, "alerts": pipeline.alerts}


def main(argv=None) -> int:
    parser = pipeline_runner.arguments(__doc__)
    parser.add_argument("--model", help="joblib/pickle file of a fitted estimator with predict_proba")
    parser.add_argument("--no-model", action="store_true", help="skip scoring (windows + count rule only)")
    args = parser.parse_args(argv)
    model = None
    if args.model:
        import joblib
        model = joblib.load(args.model)
    pipeline = Pipeline(model=model, use_model=not args.no_model)
    result = run_file(args.input, pipeline) if args.input else run_kafka(args, pipeline)
    result["model"] = "none" if args.no_model else (args.model or "logistic-regression trained on the first 2000 events")
    print(json.dumps(result))
    return 0 if args.input or result["messages"] >= args.expect else 2


if __name__ == "__main__":
    sys.exit(main())
