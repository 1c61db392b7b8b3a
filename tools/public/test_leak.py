"""Leak check on the real broker: `vigil run` with topics.public on, fed incidents with
distinctive ids and times; every record on the public topic is scanned for any incident id, any
exact timestamp and any raw count of the private state, and must hold only the documented fields.
Also: /public/aggregates and the public metrics answer, and record times are schedule boundaries."""
from __future__ import annotations

import json
import os
import random
import re
import shutil
import tempfile
import time
import uuid

from tools.vigil_tools.daemon import VigilDaemon, http_get
from tools.vigil_tools.fixtures import BINARY, BOOTSTRAP, admin_section, kafka_sections, needs_broker

DAY = 86_400
START = 1_767_571_200  # 2026-01-05T00:00:00Z, a Monday
DAYS = 15
AREAS = {"North": (43.655, -79.395), "South": (43.645, -79.375)}
CATEGORIES = ["Assault", "Robbery"]
RELEASE_KEYS = {"stream", "family", "period", "period_start", "epoch", "step", "epsilon", "noise", "noise_scale",
                "count_ci95", "running_total_ci95", "non_negative", "figures", "area_totals"}
FIGURE_KEYS = {"area", "category", "count", "running_total"}


def incidents() -> list[dict]:
    rng = random.Random(15)
    out = []
    for day in range(DAYS):
        for area, (lat, lon) in AREAS.items():
            for category in CATEGORIES:
                for _ in range(rng.randint(3, 9)):
                    t = START + day * DAY + rng.randint(0, DAY - 1)
                    out.append({"id": f"leak-{uuid.uuid4().hex}", "t": t, "category": category, "neighbourhood": area,
                                "lat": lat + rng.uniform(-0.004, 0.004), "lon": lon + rng.uniform(-0.004, 0.004)})
    out.sort(key=lambda r: r["t"])
    # Pushes the watermark past the last day's end without adding to any released day.
    out.append({"id": f"leak-tick-{uuid.uuid4().hex}", "t": START + (DAYS + 1) * DAY + 7, "category": "Assault",
                "neighbourhood": "North", "lat": 43.655, "lon": -79.395})
    return out


def as_json(r: dict) -> bytes:
    t = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(r["t"]))
    return json.dumps({"id": r["id"], "event_time": t, "category": r["category"], "neighbourhood": r["neighbourhood"],
                       "lat": r["lat"], "lon": r["lon"]}).encode()


def config(topics: dict[str, str], group: str, state: str) -> str:
    return kafka_sections(group, topics) + admin_section() + f"""
[grid]
bbox = [43.63, -79.41, 43.67, -79.36]
[time]
allowed_lateness = "5m"
[public]
neighbourhoods = ["North", "South", "East"]
categories = {json.dumps(CATEGORIES)}
start = "2026-01-05"
daily_epsilon = 0.5
weekly_epsilon = 1.0
total_epsilon = 3.0
non_negative = false
state_path = "{state}"
"""


def read_public(topic: str, want: int, settle: float = 0) -> list:
    """Every record of the public topic, from the start, until `want` arrived (then `settle` s more)."""
    from confluent_kafka import Consumer
    c = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": f"leak-reader-{uuid.uuid4().hex[:8]}", "auto.offset.reset": "earliest"})
    c.subscribe([topic])
    got = []
    deadline = time.time() + 120
    while time.time() < deadline and len(got) < want:
        m = c.poll(0.2)
        if m is not None and m.error() is None:
            got.append(m)
    extra = time.time() + settle
    while time.time() < extra:
        m = c.poll(0.2)
        if m is not None and m.error() is None:
            got.append(m)
    c.close()
    return got


@needs_broker
def test_public_topic_leaks_nothing() -> None:
    from confluent_kafka import Producer
    suffix = uuid.uuid4().hex[:8]
    topics = {k: f"leak-{k}-{suffix}" for k in ("incidents", "alerts", "dlq", "public")}
    records = incidents()
    state_dir = tempfile.mkdtemp(prefix="vigil-public-ledger-")
    cfg = config(topics, f"leak-{suffix}", os.path.join(state_dir, "ledger.json"))
    daemon = VigilDaemon.with_config(BINARY, cfg)
    try:
        port = daemon.admin_port()
        p = Producer({"bootstrap.servers": BOOTSTRAP})
        for r in records:
            p.produce(topics["incidents"], key=r["neighbourhood"].encode(), value=as_json(r), partition=0)
        assert p.flush(30) == 0
        # 15 daily releases x 2 families + 2 weekly x 2 families.
        got = read_public(topics["public"], 2 * DAYS + 4)
        assert len(got) == 2 * DAYS + 4, f"{len(got)} public records; log tail: {daemon.raw_lines()[-5:]}"

        status, _, body = http_get(port, "/public/aggregates")
        assert status == 200 and json.loads(body)["enabled"] is True
        assert len(json.loads(body)["streams"]) == 4
        _, _, metrics = http_get(port, "/metrics")
        assert f"vigil_public_releases_total {2 * DAYS + 4}" in metrics.decode()
    finally:
        daemon.stop()

    # A restart with the same ledger replays the input (same group: rebuild by replay) and must
    # neither re-release a period nor charge again; one more day of input releases just that day.
    again = VigilDaemon.with_config(BINARY, cfg)
    try:
        assert again.wait_log(lambda o: o.get("msg") == "public feed on" and o.get("public.restored") in ("true", True), 30), again.raw_lines()[-5:]
        p = Producer({"bootstrap.servers": BOOTSTRAP})
        p.produce(topics["incidents"], key=b"North", partition=0, value=as_json(
            {"id": f"leak-tick2-{uuid.uuid4().hex}", "t": START + (DAYS + 2) * DAY + 11, "category": "Robbery",
             "neighbourhood": "South", "lat": 43.645, "lon": -79.375}))
        assert p.flush(30) == 0
        after = read_public(topics["public"], 2 * DAYS + 4 + 2, settle=8)
    finally:
        again.stop()
        shutil.rmtree(state_dir, ignore_errors=True)
    keys = [(json.loads(m.value())["stream"], json.loads(m.value())["period_start"]) for m in after]
    assert len(keys) == len(set(keys)), "a period was released twice across the restart"
    assert len(after) == 2 * DAYS + 4 + 2, f"{len(after)} records after the restart"

    ids = [r["id"] for r in records]
    seconds = {str(r["t"]) for r in records} | {str(r["t"] * 1000) for r in records}
    stamps = {time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(r["t"])) for r in records}
    truth: dict[tuple[str, str, str], int] = {}
    for r in records[:-1]:
        day = time.strftime("%Y-%m-%d", time.gmtime(r["t"]))
        truth[(day, r["neighbourhood"], r["category"])] = truth.get((day, r["neighbourhood"], r["category"]), 0) + 1
    compared = equal = 0
    for m in got:
        raw = m.value()
        text = raw.decode()
        assert not any(i.encode() in raw for i in ids), "an incident id is on the public topic"
        assert not any(s in text for s in stamps), "an incident time is on the public topic"
        assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", text), "an exact timestamp is on the public topic"
        assert not (set(re.findall(r"\d{10,}", text)) & seconds), "an epoch time of an incident is on the public topic"
        assert [h[0] for h in (m.headers() or [])] == ["content-type"]
        kind, ts = m.timestamp()
        assert ts % (DAY * 1000) == 0, "the record time must be a period boundary, not a wall-clock or incident time"
        release = json.loads(raw)
        assert set(release) <= RELEASE_KEYS
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", release["period_start"])
        for f in release["figures"]:
            assert set(f) == FIGURE_KEYS
        if release["stream"] == "neighbourhood_category/day":
            # The domain is fixed: "East" has no incidents and is released anyway.
            assert {f["area"] for f in release["figures"]} == {"North", "South", "East"}
            for f in release["figures"]:
                t = truth.get((release["period_start"], f["area"], f["category"]))
                if t is not None:
                    compared += 1
                    equal += f["count"] == t
    # Noise of scale 20 (10 tree levels at ε 0.5) is 0 with probability 0.025: a copied raw count
    # would make every figure equal.
    assert compared == DAYS * 4
    assert equal / compared < 0.3, f"{equal} of {compared} published counts equal the private counts"
