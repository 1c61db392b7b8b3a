"""Broker stall: SIGSTOP the broker for 30 s mid-stream, then SIGCONT.

Nothing may be lost (deliveries that time out during the stall are sent again while their input
offsets are held back), nothing invented, and the daemon must say it is degraded during the
stall and recover afterwards. Uses a private broker so the shared one is never frozen.
"""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

from reliability import harness as H

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
        assert H.wait_for(lambda: bool(daemon.logged("partitions assigned")), 60)
        producer = threading.Thread(target=broker.produce, args=(topics["incidents"], by_partition), kwargs={"rate": 600.0})
        producer.start()
        time.sleep(5)
        broker.process.send_signal(signal.SIGSTOP)
        stalled_at = time.time()
        degraded = H.wait_for(lambda: bool(daemon.logged("broker unreachable; readiness is degraded")), STALL_SECONDS - 2)
        time.sleep(max(0.0, STALL_SECONDS - (time.time() - stalled_at)))
        broker.process.send_signal(signal.SIGCONT)
        assert degraded, "the daemon reported the stall within the stall"
        assert H.wait_for(lambda: bool(daemon.logged("broker reachable again")), 60), "readiness recovered after the stall"
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
