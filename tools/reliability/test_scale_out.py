"""Scale-out: two instances in one consumer group over a 6-partition topic keyed by region.

One instance is stopped mid-stream; the other takes its partitions over, rebuilds their state by
replay, and carries on. The union of the alerts must equal a single uninterrupted run's, and the
survivor's final state of every partition must equal the reference.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from tools.reliability import harness as H

INCIDENTS = 30_000
PARTITIONS = 6


def test_a_stopped_instance_is_taken_over_without_loss(tmp_path: Path) -> None:
    broker = H.Broker(H.require_env("VIGIL_TEST_BOOTSTRAP"))
    topics = {"incidents": H.unique("scale-in"), "alerts": H.unique("scale-alerts"), "dlq": H.unique("scale-dlq")}
    broker.create_topics({topics["incidents"]: PARTITIONS, topics["alerts"]: 3, topics["dlq"]: 1})
    by_partition = H.split_by_partition(H.real_incidents(INCIDENTS), PARTITIONS)
    assert all(by_partition), "region keying spreads the incidents over every partition"
    reference = H.reference_run(by_partition, tmp_path)

    group = H.unique("scale-group")
    a = H.Daemon(broker.bootstrap, group, topics, tmp_path, "instance-a").start()
    b = H.Daemon(broker.bootstrap, group, topics, tmp_path, "instance-b").start()
    assert H.wait_for(lambda: bool(a.logged("partitions assigned")) and bool(b.logged("partitions assigned")), 60), \
        "both instances joined the group and own partitions"
    producer = threading.Thread(target=broker.produce, args=(topics["incidents"], by_partition), kwargs={"rate": 2500.0})
    producer.start()
    time.sleep(5)
    assert b.terminate() == 0, "the stopped instance leaves cleanly"
    producer.join()

    sizes = [len(p) for p in by_partition]
    assert H.wait_for(lambda: broker.committed(group, topics["incidents"], PARTITIONS) == sizes, 180), \
        f"the survivor did not finish: {broker.committed(group, topics['incidents'], PARTITIONS)} of {sizes}"
    assert a.logged("partition state rebuilt; live from the committed offset"), "the survivor rebuilt the taken-over partitions"
    assert a.terminate() == 0

    ids = {x["id"] for x in H.alerts_on_topic(broker, topics["alerts"])}
    assert reference.alert_ids - ids == set(), "alerts lost in the handover"
    assert ids - reference.alert_ids == set(), "alerts invented in the handover"
    assert a.stop_digests() == dict(enumerate(reference.digests)), "the survivor's state of every partition equals the reference"
