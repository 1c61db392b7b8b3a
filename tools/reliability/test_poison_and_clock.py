"""The two single messages that broke the daemon (issue 12, "Seen"), on the real broker.

1. A 1.2 MB message between 50 good incidents on each side: on main the dead letter (a full
   copy) exceeded the producer's message.max.bytes, the error left the loop, the consumer was
   released without close() and its rebalance callback read a destroyed unowned reference
   (SIGABRT); the committed offset stayed at 50 and every restart died the same way.
   Now: the daemon stays up, the dead letter arrives truncated with the original's length,
   SHA-256 and offset in headers, and all 101 offsets are committed.
2. One incident stamped 23 h ahead: on main it moved its partition's watermark 23 h forward and
   the next 50 real incidents, stamped now, all went to the late path. Now it is held aside
   (it does not move the watermark) and the 50 are processed normally: no late path.

Both run in the region-keyed layout and in the shipped tile layout (`[scale_out]`), whose router
reads the same input in a group of its own: it too must get past each message and commit all 101.
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from confluent_kafka import Producer

from tools.reliability import harness as H
from tools.vigil_tools import toronto


def rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "message.max.bytes": 4_000_000})
    failures: list[str] = []
    for value in values:
        producer.produce(topic, value=value, key=b"k", partition=0,
                         on_delivery=lambda err, msg: failures.append(str(err)) if err else None)
        producer.poll(0)
    assert producer.flush(60) == 0 and not failures, failures


LAYOUTS = pytest.mark.parametrize("layout", ["region-keyed", "tiles"])


def layout_env(broker: H.Broker, layout: str) -> dict[str, str]:
    return H.tile_layout_env(broker) if layout == "tiles" else {}


def router_committed(broker: H.Broker, group: str, topic: str, layout: str, n: int) -> bool:
    """The tile layout's router got past every message too (the region-keyed layout has none)."""
    return layout != "tiles" or broker.committed(f"{group}.router", topic, 1) == [n]


@LAYOUTS
def test_a_1_2_mb_message_is_dead_lettered_truncated_and_the_daemon_stays_up(tmp_path: Path, layout: str) -> None:
    broker = H.Broker(H.require_env("VIGIL_TEST_BOOTSTRAP"))
    topics = {"incidents": H.unique("poison-in"), "alerts": H.unique("poison-alerts"), "dlq": H.unique("poison-dlq")}
    broker.create_topics({topics["incidents"]: 1, topics["alerts"]: 1, topics["dlq"]: 1})
    good = [toronto.to_json(i) for i in H.real_incidents(100)]
    big = json.dumps({"id": "poison", "premises": "x" * 1_200_000}).encode()
    produce(broker.bootstrap, topics["incidents"], good[:50] + [big] + good[50:])

    group = H.unique("poison-group")
    daemon = H.Daemon(broker.bootstrap, group, topics, tmp_path, "poison", env=layout_env(broker, layout)).start()
    committed = H.wait_for(lambda: broker.committed(group, topics["incidents"], 1) == [101]
                           and router_committed(broker, group, topics["incidents"], layout, 101), 90)
    alive = daemon.process.poll() is None
    log_tail = (daemon.stdout_path.read_text(errors="replace") + daemon.stderr_text())[-3000:]
    exit_code = daemon.terminate()
    assert alive, f"the daemon must stay up; log tail:\n{log_tail}"
    assert committed, f"all 101 offsets committed; got {broker.committed(group, topics['incidents'], 1)}"
    assert exit_code == 0

    letters = broker.read_all(topics["dlq"])
    assert len(letters) == 1, [h for _, h in letters]
    value, headers = letters[0]
    assert headers["vigil.error.reason"] == "too_large"
    assert headers["vigil.payload.truncated"] == "true"
    assert int(headers["vigil.payload.length"]) == len(big)
    assert headers["vigil.payload.sha256"] == hashlib.sha256(big).hexdigest()
    assert headers["vigil.source.offset"] == "50" and headers["vigil.source.topic"] == topics["incidents"]
    assert value == big[: len(value)] and len(value) == 262_144, "a prefix of the original, input.dead_letter_max_bytes long"


@LAYOUTS
def test_one_incident_stamped_23_hours_ahead_does_not_send_the_next_ones_to_the_late_path(tmp_path: Path, layout: str) -> None:
    broker = H.Broker(H.require_env("VIGIL_TEST_BOOTSTRAP"))
    topics = {"incidents": H.unique("clock-in"), "alerts": H.unique("clock-alerts"), "dlq": H.unique("clock-dlq")}
    broker.create_topics({topics["incidents"]: 1, topics["alerts"]: 1, topics["dlq"]: 1})
    now = datetime.now(UTC)
    base = H.real_incidents(101)
    stamped = []
    for n, inc in enumerate(base):
        when = now + timedelta(hours=23) if n == 50 else now - timedelta(minutes=10) + timedelta(seconds=n)
        stamped.append(toronto.to_json({**inc, "id": f"clock-{n}", "event_time": rfc3339(when)}))
    produce(broker.bootstrap, topics["incidents"], stamped)

    group = H.unique("clock-group")
    daemon = H.Daemon(broker.bootstrap, group, topics, tmp_path, "clock", env=layout_env(broker, layout)).start()
    assert H.wait_for(lambda: broker.committed(group, topics["incidents"], 1) == [101]
                      and router_committed(broker, group, topics["incidents"], layout, 101), 90), "all 101 processed and committed"
    time.sleep(1)
    assert daemon.terminate() == 0

    letters = broker.read_all(topics["dlq"], idle=2.0)
    late = [h for _, h in letters if h.get("vigil.error.reason") == "late_event"]
    assert late == [], f"no late path for the real incidents after the bad clock: {len(late)} late"
    assert letters == [], "nothing dead-lettered: the far-ahead incident is held, not rejected"
    held = daemon.logged("incident stamped ahead of the server clock held until the clock reaches it (it does not move the watermark)")
    assert [line["incident.id"] for line in held] == ["clock-50"], "the held incident is reported with its reason"
    assert held[0]["reason"] == "clock_ahead"
    stops = daemon.logged("partition state at stop")
    newest = stops[-1]["state.newest_event_time"]
    assert newest < rfc3339(now + timedelta(minutes=5)), f"the watermark never passed the clock: newest event time {newest}"
