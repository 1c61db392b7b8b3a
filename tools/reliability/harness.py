"""Fault-test harness: real `vigil run` processes against a real broker, real Toronto incidents.

What a fault test needs and nothing else: a stream of real incidents partitioned by region the
way producers key them; the reference answer (``vigil replay`` of each partition's records in
offset order, which is what an uninterrupted daemon computes); daemons started, killed and
stopped; the alerts topic read back with the headers that say which input caused each alert;
and the group's committed offsets at any moment.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from tools.vigil_tools import toronto
from tools.vigil_tools.daemon import VigilDaemon, http_get
from tools.vigil_tools.ndjson import write_ndjson

ROOT = Path(__file__).resolve().parents[2]
# VIGIL_TEST_CONFIG: another configuration file, e.g. an older release's when running these
# tests against its binary (VIGIL_BINARY) to show what a fix changed.
CONFIG = Path(os.environ.get("VIGIL_TEST_CONFIG") or ROOT / "Config" / "vigil.toml")


def require_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set: run the fault tests through tools/test.sh, which builds vigil and starts the broker")
    return value


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# ---------------------------------------------------------------------------
# data

_CACHE: dict[str, list[dict[str, Any]]] = {}


def real_incidents(count: int) -> list[dict[str, Any]]:
    """The most recent `count` Toronto incidents with a location, in event-time order."""
    if "all" not in _CACHE:
        _CACHE["all"] = [i.obj for i in toronto.load_incidents() if i.epoch_ms is not None
                         and i.obj.get("lat") is not None and i.obj.get("lon") is not None]
    return _CACHE["all"][-count:]


def partition_of(incident: dict[str, Any], partitions: int) -> int:
    """Region keying: every incident of a neighbourhood goes to one partition."""
    return zlib.crc32(toronto.kafka_key(incident)) % partitions


def split_by_partition(incidents: Sequence[dict[str, Any]], partitions: int) -> list[list[dict[str, Any]]]:
    out: list[list[dict[str, Any]]] = [[] for _ in range(partitions)]
    for inc in incidents:
        out[partition_of(inc, partitions)].append(inc)
    return out


def event_ms(incident: dict[str, Any]) -> int:
    from tools.reference.common import parse_rfc3339_ms
    ms = parse_rfc3339_ms(incident["event_time"])
    assert ms is not None
    return ms


# ---------------------------------------------------------------------------
# broker

class Broker:
    """A private tansu broker (for tests that stop it), or the shared one."""

    def __init__(self, bootstrap: str, process: subprocess.Popen | None = None):
        self.bootstrap = bootstrap
        self.process = process

    @classmethod
    def private(cls) -> Broker:
        tansu = require_env("VIGIL_TANSU")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        url = f"tcp://127.0.0.1:{port}"
        log = open(tempfile.mktemp(prefix="tansu-", suffix=".log"), "wb")
        proc = subprocess.Popen([tansu, "broker", "--listener-url", url, "--advertised-listener-url", url,
                                 "--storage-engine", "memory://tansu/"], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return cls(f"127.0.0.1:{port}", proc)
            except OSError:
                time.sleep(0.1)
        proc.kill()
        raise RuntimeError("private broker did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait()

    def create_topics(self, topics: dict[str, int]) -> None:
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        futures = admin.create_topics([NewTopic(t, n) for t, n in topics.items()])
        for f in futures.values():
            f.result(30)

    def produce(self, topic: str, by_partition: Sequence[Sequence[dict[str, Any]]], *, rate: float | None = None,
                stop: threading.Event | None = None, keep_order: bool = False) -> None:
        """Produces each partition's incidents in order (keyed by region, timestamp = event time);
        interleaved by event time across partitions (`keep_order`: one partition after another, each
        in the order given, late rows included), at `rate` messages/s when given."""
        producer = Producer({"bootstrap.servers": self.bootstrap, "enable.idempotence": True, "linger.ms": 5,
                             "message.timeout.ms": 300000})
        merged = [(event_ms(inc), p, i) for p, part in enumerate(by_partition) for i, inc in enumerate(part)]
        if not keep_order:
            merged.sort()
        failures: list[str] = []

        def report(err, msg):
            if err is not None:
                failures.append(str(err))

        started = time.monotonic()
        for n, (ms, p, i) in enumerate(merged):
            if stop is not None and stop.is_set():
                break
            inc = by_partition[p][i]
            while True:
                try:
                    producer.produce(topic, value=toronto.to_json(inc), key=toronto.kafka_key(inc), partition=p,
                                     timestamp=ms, on_delivery=report)
                    break
                except BufferError:
                    producer.poll(0.05)
            producer.poll(0)
            if rate is not None:
                ahead = (n + 1) / rate - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
        remaining = producer.flush(120)
        assert remaining == 0 and not failures, f"producing incidents failed: {remaining} undelivered, {failures[:3]}"

    def committed(self, group: str, topic: str, partitions: int) -> list[int]:
        """The group's committed offsets (-1001 where none), without joining the group."""
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": group})
        try:
            tps = consumer.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)
            return [tp.offset for tp in sorted(tps, key=lambda tp: tp.partition)]
        finally:
            consumer.close()

    def read_all(self, topic: str, *, idle: float = 3.0, timeout: float = 120.0) -> list[tuple[bytes | None, dict[str, str]]]:
        """Every message of `topic` (value, headers), read until nothing new arrives for `idle` s."""
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": unique("reader"),
                             "auto.offset.reset": "earliest", "enable.auto.commit": False,
                             "session.timeout.ms": 6000, "fetch.queue.backoff.ms": 10})
        consumer.subscribe([topic])
        out: list[tuple[bytes | None, dict[str, str]]] = []
        deadline = time.time() + timeout
        last = time.time()
        seen_any = False
        try:
            while time.time() < deadline:
                batch = consumer.consume(1000, 0.2)
                for m in batch:
                    if m.error():
                        if m.error().code() != KafkaError._PARTITION_EOF:
                            raise RuntimeError(str(m.error()))
                        continue
                    out.append((m.value(), {k: (v.decode() if v is not None else "") for k, v in (m.headers() or [])}))
                if batch:
                    last = time.time()
                    seen_any = True
                elif time.time() - last > (idle if seen_any else max(idle, 10.0)):
                    break
        finally:
            consumer.close()
        return out


# ---------------------------------------------------------------------------
# reference and daemon

@dataclass
class Reference:
    kinds: dict[str, str]  # alert id -> kind
    digests: list[str]

    @property
    def alert_ids(self) -> set[str]:
        return set(self.kinds)


def reference_run(by_partition: Sequence[Sequence[dict[str, Any]]], workdir: Path, env: dict[str, str] | None = None) -> Reference:
    """What an uninterrupted daemon computes: each partition's records replayed in offset order
    by `vigil replay`, without the closing evaluation a file replay adds."""
    binary = require_env("VIGIL_BINARY")
    kinds: dict[str, str] = {}
    digests = []
    for p, part in enumerate(by_partition):
        src, out, summary = workdir / f"ref-{p}.ndjson", workdir / f"ref-{p}-alerts.ndjson", workdir / f"ref-{p}-summary.json"
        write_ndjson(src, part)
        subprocess.run([binary, "replay", "--config", str(CONFIG), "--input", str(src), "--keep-order",
                        "--no-final-evaluation", "--output", str(out), "--summary", str(summary), "--quiet"],
                       check=True, env={**os.environ, "VIGIL_ALERTS_KINDS": "all", **(env or {})},  # as Daemon runs
                       stderr=subprocess.DEVNULL, timeout=600)
        for line in out.read_text().splitlines():
            alert = json.loads(line)
            kinds[alert["id"]] = alert["kind"]
        digests.append(json.loads(summary.read_text())["state_digest"])
    return Reference(kinds, digests)


class Daemon(VigilDaemon):
    """A fault test's `vigil run` (VIGIL_BINARY, Config/vigil.toml): the broker, group, topics and
    client id NAME from the environment, its log in WORKDIR/NAME.out; `start()` returns it."""

    def __init__(self, bootstrap: str, group: str, topics: dict[str, str], workdir: Path, name: str,
                 env: dict[str, str] | None = None):
        super().__init__(require_env("VIGIL_BINARY"), CONFIG, workdir, name, {
            "VIGIL_KAFKA_BOOTSTRAP_SERVERS": bootstrap, "VIGIL_KAFKA_GROUP_ID": group, "VIGIL_KAFKA_CLIENT_ID": name,
            "VIGIL_TOPICS_INCIDENTS": topics["incidents"], "VIGIL_TOPICS_ALERTS": topics["alerts"],
            "VIGIL_TOPICS_DEAD_LETTER": topics["dlq"], "VIGIL_TOPICS_LATE": topics["dlq"],
            "VIGIL_KAFKA_CREATE_TOPICS": "false", "VIGIL_ADMIN_LISTEN": "127.0.0.1:0",
            # Every alert kind, not only the (rare) default cluster alerts: the fault tests compare
            # alert ids, so they need many of them.
            "VIGIL_ALERTS_KINDS": "all",
            # The region-keyed layout (every rule per input partition) on several partitions: what
            # these tests check per partition. test_tile_layout.py turns the shipped tile layout on.
            "VIGIL_SCALE_OUT_ENABLED": "false", **(env or {})})

    def readyz(self) -> tuple[int, str]:
        """(HTTP status, body) of the admin API's /readyz; (0, error) when it cannot be reached."""
        lines = self.logged("admin API listening")
        if not lines:
            return 0, "admin API not listening yet"
        try:
            status, _, body = http_get(int(lines[-1]["admin.port"]), "/readyz", timeout=5)
            return status, body.decode()
        except OSError as e:
            return 0, str(e)

    def stop_digests(self) -> dict[int, str]:
        """Per partition (of this daemon at its last stop), the window-state digest it logged."""
        out = {}
        for line in self.logged("partition state at stop"):
            part = int(re.search(r"\[(\d+)\]$", line["kafka.partition"]).group(1))
            out[part] = line["state.digest"]
        return out


def hostile_messages(template: dict[str, Any]) -> list[tuple[str, bytes | None]]:
    """(expected dead-letter reason, message value) for every kind of bad input, built from the
    good incident TEMPLATE: oversized, truncated, non-UTF-8, wrong type, out of bounds, implausible
    and unparsable times, missing and duplicate fields, not an object, tombstone, far past, far
    future."""
    def variant(**changes) -> bytes:
        obj = {**template, **changes}
        return json.dumps({k: v for k, v in obj.items() if v is not ...}).encode()
    text = json.dumps(template)
    return [
        ("too_large", variant(premises="x" * 70_000)),
        ("malformed_json", text[: len(text) // 2].encode()),
        ("invalid_utf8", text.replace(template["category"], "Assault\udcff", 1).encode("utf-8", "surrogateescape")),
        ("wrong_type", variant(lat=str(template["lat"]))),
        ("out_of_bounds", variant(lat=51.5, lon=-0.12)),
        ("invalid_value", variant(event_time="1800-01-01T00:00:00Z")),
        ("invalid_value", variant(event_time="yesterday")),
        ("missing_field", variant(category=...)),
        ("duplicate_field", text[:-1].encode() + b',"id":"again"}'),
        ("not_an_object", b"[1, 2, 3]"),
        ("tombstone", None),
        ("late_event", variant(id="far-past", event_time="1950-01-01T00:00:00Z")),
        ("future_event_time", variant(id="far-future", event_time="2150-01-01T00:00:00Z")),
    ]


def produce_with_hostile(bootstrap: str, topic: str, rows: Sequence[dict[str, Any]], *,
                         event_timestamps: bool) -> list[tuple[str, bytes | None]]:
    """Produces ROWS to partition 0 of TOPIC in order with `hostile_messages(rows[0])` spread evenly
    among them; returns (reason, value) of the bad messages in the order produced, as the
    dead-letter topic must hold them. `event_timestamps`: good rows stamped with their event time
    (bad ones always with the producer's clock)."""
    bad = hostile_messages(rows[0])
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 5,
                         "message.max.bytes": 2_000_000})

    def send(value: bytes | None, key: bytes, timestamp: int | None) -> None:
        while True:
            try:
                producer.produce(topic, value=value, key=key, partition=0,
                                 **({"timestamp": timestamp} if timestamp is not None else {}))
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)

    expected: list[tuple[str, bytes | None]] = []
    step = len(rows) // (len(bad) + 1)
    for i, row in enumerate(rows):
        send(toronto.to_json(row), toronto.kafka_key(row), event_ms(row) if event_timestamps else None)
        if i % step == step - 1 and len(expected) < len(bad):
            expected.append(bad[len(expected)])
            send(expected[-1][1], b"hostile", None)
    assert producer.flush(120) == 0 and len(expected) == len(bad)
    return expected


def tile_layout_env(broker: Broker, partitions: int = 6) -> dict[str, str]:
    """The shipped tile layout (`[scale_out]`) for a `Daemon` on a one-partition input: its own
    routed and findings topics, created here (the fault tests' daemons create no topics)."""
    routed, findings = unique("tile-routed"), unique("tile-findings")
    broker.create_topics({routed: partitions, findings: 1})
    return {"VIGIL_SCALE_OUT_ENABLED": "true", "VIGIL_SCALE_OUT_PARTITIONS": str(partitions),
            "VIGIL_SCALE_OUT_ROUTED_TOPIC": routed, "VIGIL_SCALE_OUT_FINDINGS_TOPIC": findings}


def tile_layout_finished(broker: Broker, group: str, incidents: str, stage_env: dict[str, str], rows: int) -> bool:
    """The tile layout (`tile_layout_env`'s STAGE_ENV) is done with ROWS input rows: the router and
    the main pipeline committed every one, and the scans' and the lifecycle's commits stand still
    (the local broker misreports high watermarks, so "caught up" is "nothing moves")."""
    routed, findings = stage_env["VIGIL_SCALE_OUT_ROUTED_TOPIC"], stage_env["VIGIL_SCALE_OUT_FINDINGS_TOPIC"]
    partitions = int(stage_env["VIGIL_SCALE_OUT_PARTITIONS"])

    def positions() -> list[int]:
        return broker.committed(f"{group}.scan", routed, partitions) + broker.committed(f"{group}.lifecycle", findings, 1)

    if broker.committed(f"{group}.router", incidents, 1) != [rows] or broker.committed(group, incidents, 1) != [rows]:
        return False
    before = positions()
    time.sleep(4)
    return before == positions() and min(before) > 0


def stall(broker: Broker, daemon: Daemon, seconds: float) -> tuple[bool, tuple[int, str]]:
    """Freezes BROKER (SIGSTOP) for SECONDS, then thaws it (SIGCONT). Returns whether DAEMON's
    /readyz went 503 during the stall, and the answer it gave then."""
    assert broker.process is not None, "a private broker"
    broker.process.send_signal(signal.SIGSTOP)
    stalled_at = time.time()
    try:
        degraded = wait_for(lambda: daemon.readyz()[0] == 503, seconds - 2)
        during = daemon.readyz()
        time.sleep(max(0.0, seconds - (time.time() - stalled_at)))
    finally:
        broker.process.send_signal(signal.SIGCONT)
    return degraded, during


def wait_for(condition, timeout: float, interval: float = 0.25) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def alerts_on_topic(broker: Broker, topic: str) -> list[dict[str, Any]]:
    """Alerts read back: id, kind and the input position that produced each."""
    out = []
    for value, headers in broker.read_all(topic):
        alert = json.loads(value)
        assert headers.get("ce_id") == alert["id"], "ce_id header is the alert id"
        out.append({"id": alert["id"], "kind": alert["kind"],
                    "partition": int(headers["vigil.source.partition"]), "offset": int(headers["vigil.source.offset"])})
    return out
