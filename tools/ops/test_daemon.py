"""The must-show operations test: the real `vigil run` binary against the real broker.

Boots vigil with the admin API on port 0 and a notify socket owned by the test, produces a
planted cluster of incidents, then checks: /readyz 503 -> 200, /metrics parses strictly and
counts what happened, /hotspots is valid RFC 7946 GeoJSON, every published alert validates
against Config/schemas/alert.schema.json and its log line is its JSON, every CAP message
validates against the OASIS CAP 1.2 XSD, /aggregates answers, READY/STATUS/WATCHDOG arrive,
SIGHUP runs the RELOADING/MONOTONIC_USEC/READY handshake (applying a threshold, refusing a
structural change), and SIGTERM sends STOPPING=1 and exits 0.
"""
from __future__ import annotations

import json
import signal
import time
import uuid
from pathlib import Path

import pytest

from tools.ops import prometheus_text as P
from tools.vigil_tools.daemon import VigilDaemon, http_get
from tools.vigil_tools.fixtures import BINARY, BOOTSTRAP, admin_section, kafka_sections, needs_broker

ROOT = Path(__file__).resolve().parents[2]

CLUSTER = [(43.6500, -79.3850), (43.6500, -79.3820), (43.6523, -79.3850)]  # adjacent 250 m cells
SCATTER = [(43.6420 + 0.0017 * i, -79.3980 + 0.0029 * ((i * 7) % 10)) for i in range(10)]
BASE = 1614816000  # 2021-03-04T00:00:00Z


def config(bootstrap: str, group: str, topics: dict[str, str], threshold: int = 3, cell: float = 250.0) -> str:
    return kafka_sections(group, topics, bootstrap) + admin_section() + f"""
[grid]
cell_size_m = {cell}
bbox = [43.64, -79.40, 43.66, -79.37]
[time]
allowed_lateness = "5m"
[windows]
horizons = ["1h/5m", "24h/1h"]
[rules.count]
window = "24h"
resolution = "1h"
threshold = {threshold}
cooldown = "24h"
[alerts]
kinds = ["all"]
[rules.surge]
enabled = false
[hotspots]
window = "24h/1h"
evaluate_every = "1h"
z_threshold = 1.96
minimum_local_count = 3
minimum_cells = 1
minimum_persistence = 1
close_after = "1d"
[cap]
sender = "vigil-test@police.example"
status = "Test"
"""


def incidents() -> list[dict]:
    out = []
    for hour in range(5):
        for k in range(12):
            lat, lon = CLUSTER[k % 3]
            out.append({"id": f"c{hour}-{k}", "t": BASE + hour * 3600 + k * 240, "category": "Assault" if k % 4 else "Robbery",
                        "lat": lat + 0.0003, "lon": lon + 0.0004})
        for i, (lat, lon) in enumerate(SCATTER):
            if (i + hour) % 3 == 0:
                out.append({"id": f"s{hour}-{i}", "t": BASE + hour * 3600 + 1800 + i, "category": "Theft", "lat": lat, "lon": lon})
    out.append({"id": "late-tick", "t": BASE + 9 * 3600, "category": "Theft", "lat": SCATTER[0][0], "lon": SCATTER[0][1]})
    out.sort(key=lambda r: r["t"])
    return out


def as_json(r: dict) -> bytes:
    t = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(r["t"]))
    return json.dumps({"id": r["id"], "event_time": t, "category": r["category"], "premises": "Outside",
                       "neighbourhood": "Downtown Test", "lat": r["lat"], "lon": r["lon"]}).encode()


def produce(topic: str, records: list[dict]) -> None:
    from confluent_kafka import Producer
    p = Producer({"bootstrap.servers": BOOTSTRAP})
    for r in records:
        p.produce(topic, key=b"downtown", value=as_json(r), partition=0)
    assert p.flush(30) == 0


def consume(topic: str, until, timeout: float = 60) -> list:
    from confluent_kafka import Consumer
    c = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": f"reader-{uuid.uuid4().hex[:8]}", "auto.offset.reset": "earliest"})
    c.subscribe([topic])
    out = []
    deadline = time.time() + timeout
    try:
        while time.time() < deadline and not until(out):
            m = c.poll(0.2)
            if m is not None and m.error() is None:
                out.append(m)
        extra = time.time() + 1.5
        while time.time() < extra:
            m = c.poll(0.2)
            if m is not None and m.error() is None:
                out.append(m)
    finally:
        c.close()
    return out


def ring_area(ring):
    return sum(ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1] for i in range(len(ring) - 1)) / 2


def check_geojson(doc: dict) -> None:
    assert doc["type"] == "FeatureCollection" and isinstance(doc["features"], list)
    for f in doc["features"]:
        assert f["type"] == "Feature"
        g = f["geometry"]
        assert g["type"] == "Polygon" and len(g["coordinates"]) >= 1
        for ring in g["coordinates"]:
            assert len(ring) >= 4, "a linear ring has at least four positions"
            assert ring[0] == ring[-1], "rings are closed"
            for lon, lat in ring:
                assert -180 <= lon <= 180 and -90 <= lat <= 90
                assert -79.41 <= lon <= -79.36 and 43.63 <= lat <= 43.67, "positions are [lon, lat] inside the grid"
        assert ring_area(g["coordinates"][0]) > 0, "exterior ring is counter-clockwise (RFC 7946 right-hand rule)"
        props = f["properties"]
        for key in ("id", "cells", "max_gi_star", "intensity", "categories", "partition"):
            assert key in props
        assert props["max_gi_star"] >= 1.96 and props["cells"]


@needs_broker
def test_vigil_run_operations_end_to_end():
    from xml.etree import ElementTree

    import jsonschema
    import xmlschema

    tag = uuid.uuid4().hex[:8]
    topics = {"incidents": f"ops-inc-{tag}", "alerts": f"ops-alerts-{tag}", "dlq": f"ops-dlq-{tag}", "cap": f"ops-cap-{tag}"}
    group = f"vigil-ops-{tag}"
    d = VigilDaemon.with_config(BINARY, config(BOOTSTRAP, group, topics), env={"WATCHDOG_USEC": "2000000"})
    try:
        port = d.admin_port()
        # The admin API is up before the loop has run: not ready.
        status, _, body = http_get(port, "/readyz")
        assert status == 503, body
        ready_msg = d.notify.wait_for(lambda m: "READY=1" in m)
        assert ready_msg is not None, "READY=1 sent once the loop runs"
        assert d.wait_log(lambda o: o.get("msg") == "partitions assigned", 30) is not None, d.stderr_text()
        deadline = time.time() + 30
        while time.time() < deadline and http_get(port, "/readyz")[0] != 200:
            time.sleep(0.2)
        status, _, body = http_get(port, "/readyz")
        assert status == 200, body
        assert http_get(port, "/healthz")[0] == 200

        records = incidents()
        produce(topics["incidents"], records)
        published = consume(topics["alerts"], lambda ms: any(b"hotspot_opened" in m.value() for m in ms), timeout=60)
        assert published, "alerts were published"
        kinds = [json.loads(m.value())["kind"] for m in published]
        assert "count_threshold" in kinds and "hotspot_opened" in kinds, kinds

        # Every alert validates against the schema; CloudEvents headers are right; the log line is the JSON.
        schema = json.loads((ROOT / "Config/schemas/alert.schema.json").read_text())
        validator = jsonschema.Draft202012Validator(schema)
        log_alerts = {o["id"]: o for o in d.log_lines() if "kind" in o and "evidence" in o}
        for m in published:
            alert = json.loads(m.value())
            errors = list(validator.iter_errors(alert))
            assert not errors, (alert, errors[0].message)
            headers = {k: v.decode() for k, v in (m.headers() or [])}
            assert headers["ce_specversion"] == "1.0"
            assert headers["ce_id"] == alert["id"]
            assert headers["ce_type"] == f"org.vigil.alert.{alert['kind']}"
            assert headers["ce_source"] == f"vigil/{group}"
            assert headers["ce_time"] == alert["detected_at"]
            assert headers["content-type"] == "application/json"
            assert log_alerts.get(alert["id"]) == alert, "an alert's log line is its JSON"
        for line in d.raw_lines():
            assert "\x1b[" not in line, "no colour codes in the log"

        # CAP 1.2 output validates against the OASIS XSD, with CAP's lat,lon order.
        cap_schema = xmlschema.XMLSchema(str(ROOT / "Config/schemas/CAP-v1.2.xsd"))
        caps = consume(topics["cap"], lambda ms: len(ms) >= len(published), timeout=30)
        assert len(caps) == len(published)
        ns = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
        ids = {json.loads(m.value())["id"] for m in published}
        shapes = set()
        for m in caps:
            cap_schema.validate(m.value().decode())
            root = ElementTree.fromstring(m.value())
            assert root.findtext("cap:identifier", namespaces=ns) in ids
            assert root.findtext("cap:status", namespaces=ns) == "Test"
            assert dict((k, v.decode()) for k, v in m.headers())["content-type"] == "application/cap+xml"
            for poly in root.iterfind(".//cap:polygon", ns):
                pts = [tuple(map(float, p.split(","))) for p in poly.text.split()]
                assert pts[0] == pts[-1] and len(pts) >= 4
                assert all(43.6 < lat < 43.7 and -79.5 < lon < -79.3 for lat, lon in pts), "CAP points are lat,lon"
                shapes.add("polygon")
            for circle in root.iterfind(".//cap:circle", ns):
                centre, radius = circle.text.split(" ")
                lat, lon = map(float, centre.split(","))
                assert 43.6 < lat < 43.7 and -79.5 < lon < -79.3 and 0 < float(radius) < 1
                shapes.add("circle")
        assert shapes == {"polygon", "circle"}

        # /metrics: strict parse, and the figures agree with what happened.
        time.sleep(1.5)  # one publish cadence
        status, headers, body = http_get(port, "/metrics")
        assert status == 200 and headers["content-type"].startswith("text/plain; version=0.0.4")
        fams = P.parse(body.decode())
        assert P.value(fams, "vigil_messages_consumed_total") == len(records)
        assert P.value(fams, "vigil_incidents_decoded_total") == len(records)
        by_kind = {k: P.value(fams, "vigil_alerts_total", kind=k) for k in set(kinds)}
        assert by_kind == {k: kinds.count(k) for k in set(kinds)}
        assert P.value(fams, "vigil_partitions_assigned") == 1
        assert P.value(fams, "vigil_state_keys") > 0
        assert P.value(fams, "vigil_hotspots_open") >= 1
        assert P.value(fams, "vigil_batch_processing_seconds_count") >= 1
        assert P.value(fams, "vigil_ready") == 1
        for name in ("vigil_librdkafka_info", "vigil_build_info", "vigil_model_info", "process_start_time_seconds",
                     "vigil_state_cap_hits_total", "vigil_state_keys_expired_total", "vigil_consumer_lag", "vigil_dead_letters_total",
                     "vigil_late_incidents_total"):
            assert name in fams, name

        # /hotspots is RFC 7946 GeoJSON.
        status, headers, body = http_get(port, "/hotspots")
        assert status == 200 and headers["content-type"] == "application/geo+json"
        doc = json.loads(body)
        assert doc["features"], "the planted cluster is a hotspot"
        check_geojson(doc)
        # Each hotspot's category mix is there whether or not its latest evaluation alerted.
        for f in doc["features"]:
            assert sum(f["properties"]["categories"].values()) == f["properties"]["count"], f["properties"]
        assert any(f["properties"]["categories"] for f in doc["features"])

        # /aggregates answers from the engine through the loop's mailbox.
        cell = next(json.loads(m.value())["location"]["cell"] for m in published if json.loads(m.value())["kind"] == "count_threshold")
        status, _, body = http_get(port, f"/aggregates?cell={cell}")
        assert status == 200, body
        agg = json.loads(body)
        assert agg["cell"] == cell and set(agg["total"]) == set(agg["windows"]) and "Assault" in agg["categories"]
        assert max(agg["total"].values()) >= 3, agg
        status, _, body = http_get(port, "/aggregates?neighbourhood=Downtown%20Test")
        assert status == 200 and max(json.loads(body)["total"].values()) > 0
        assert http_get(port, "/aggregates?cell=nonsense")[0] == 400
        assert http_get(port, "/aggregates")[0] == 400

        # systemd: STATUS lines and watchdog pings from the loop.
        assert d.notify.wait_for(lambda m: any(x.startswith("STATUS=") and "consumed" in x for x in m)) is not None
        assert d.notify.wait_for(lambda m: m == ["WATCHDOG=1"]) is not None

        # SIGHUP with a new threshold: RELOADING=1 + MONOTONIC_USEC, applied, READY=1.
        before = len(d.notify.snapshot())
        d.config.write_text(config(BOOTSTRAP, group, topics, threshold=5))
        d.process.send_signal(signal.SIGHUP)
        applied = d.wait_log(lambda o: o.get("msg") == "reload applied", 20)
        assert applied is not None and "rules.count.threshold" in applied["config.keys"]
        after = d.notify.snapshot()[before:]
        reloading = next(i for i, m in enumerate(after) if "RELOADING=1" in m)
        usec = [x for x in after[reloading] if x.startswith("MONOTONIC_USEC=")]
        assert usec and int(usec[0].split("=")[1]) > 0
        assert any("READY=1" in m for m in after[reloading + 1:]) or d.notify.wait_for(lambda m: "READY=1" in m) is not None

        # A structural change is refused, naming the key; the daemon keeps running and stays ready.
        d.config.write_text(config(BOOTSTRAP, group, topics, threshold=5, cell=300.0))
        d.process.send_signal(signal.SIGHUP)
        refused = d.wait_log(lambda o: o.get("msg", "").startswith("reload refused"), 20)
        assert refused is not None and "grid.cell_size_m" in refused["config.keys"]
        time.sleep(1.5)
        fams = P.parse(http_get(port, "/metrics")[2].decode())
        assert P.value(fams, "vigil_config_reloads_total", result="applied") == 1
        assert P.value(fams, "vigil_config_reloads_total", result="refused") == 1
        assert http_get(port, "/readyz")[0] == 200
    finally:
        code = d.stop()
    assert code == 0, d.stderr_text()
    assert any("STOPPING=1" in m for m in d.notify.snapshot()), "STOPPING=1 on SIGTERM"


@pytest.mark.skipif(not BINARY, reason="needs VIGIL_BINARY")
def test_readyz_names_an_unreachable_broker():
    """No broker at all: the loop runs (healthz 200) but readiness says the broker is unreachable."""
    text = config("127.0.0.1:1", "vigil-nobroker", {"incidents": "i", "alerts": "a", "dlq": "d", "cap": "c"})
    text = text.replace("topic_partitions = 1", "topic_partitions = 1\ncreate_topics = false")
    d = VigilDaemon.with_config(BINARY, text)
    try:
        port = d.admin_port()
        deadline = time.time() + 30
        body = b""
        while time.time() < deadline:
            status, _, body = http_get(port, "/readyz")
            if b"broker unreachable" in body:
                break
            time.sleep(0.2)
        assert status == 503 and b"broker unreachable" in body, body
        assert http_get(port, "/healthz")[0] == 200
        fams = P.parse(http_get(port, "/metrics")[2].decode())
        assert P.value(fams, "vigil_broker_reachable") == 0 and P.value(fams, "vigil_ready") == 0
    finally:
        code = d.stop()
    assert code == 0, d.stderr_text()
