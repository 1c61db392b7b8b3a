"""Broker stall: SIGSTOP the broker for 30 s mid-stream, then SIGCONT.

Nothing may be lost (deliveries that time out during the stall are sent again while their input
offsets are held back), nothing invented, and the daemon must say it is degraded during the
stall (/readyz 503 naming the broker) and recover afterwards (/readyz 200). Uses a private
broker so the shared one is never frozen.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from tools.reliability import harness as H

INCIDENTS = 12_000
PARTITIONS = 2
STALL_SECONDS = 30


def test_a_frozen_broker_loses_nothing_and_readiness_reports_it(tmp_path: Path) -> None:
    broker = H.Broker.private()
    try:
        topics = {"incidents": "stall-in", "alerts": "stall-alerts", "dlq": "stall-dlq"}
        broker.create_topics({topics["incidents"]: PARTITIONS, topics["alerts"]: 1, topics["dlq"]: 1})
        by_partition = H.split_by_partition(H.real_incidents(INCIDENTS), PARTITIONS)
        reference = H.reference_run(by_partition, tmp_path)

        group = H.unique("stall-group")
        daemon = H.Daemon(broker.bootstrap, group, topics, tmp_path, "stall").start()
        assert H.wait_for(lambda: daemon.readyz()[0] == 200, 60), f"ready before the stall: {daemon.readyz()}"
        producer = threading.Thread(target=broker.produce, args=(topics["incidents"], by_partition), kwargs={"rate": 600.0})
        producer.start()
        time.sleep(5)
        degraded, during = H.stall(broker, daemon, STALL_SECONDS)
        assert degraded, f"/readyz went 503 within the stall: {during}"
        assert "broker" in during[1].lower(), f"the reason names the broker: {during}"
        assert daemon.logged("broker unreachable; readiness is degraded"), "and the log says so"
        assert H.wait_for(lambda: daemon.readyz()[0] == 200, 90), f"/readyz recovered after the stall: {daemon.readyz()}"
        assert daemon.logged("broker reachable again")
        producer.join()

        sizes = [len(p) for p in by_partition]
        assert H.wait_for(lambda: broker.committed(group, topics["incidents"], PARTITIONS) == sizes, 180), \
            f"not everything committed after the stall: {broker.committed(group, topics['incidents'], PARTITIONS)} of {sizes}"
        assert daemon.terminate() == 0
        assert daemon.process.poll() == 0

        ids = {a["id"] for a in H.alerts_on_topic(broker, topics["alerts"])}
        assert reference.alert_ids - ids == set(), "alerts lost across the stall"
        assert ids - reference.alert_ids == set(), "alerts invented across the stall"
        assert daemon.stop_digests() == dict(enumerate(reference.digests))
    finally:
        broker.stop()
