"""Rebalances with worker threads: partitions revoked and assigned mid-stream while an instance with
`pipeline.worker_threads = 2` reads every partition from its own queue (per-partition prefetch).

Instance A owns all 6 partitions and consumes a live stream; instance B joins (A's partitions are
partly revoked while their queues hold fetched records), then B is stopped (its partitions go back
to A, which rebuilds their state by replay). The last part of the stream is produced only after B
has left, so A must take B's partitions back to finish: however fast B catches up, the hand-back is
exercised (a stream that ended before B left let A stop before the rebalance returned them). Every alert of an uninterrupted run must be on the
topic exactly once, none other; every partition's committed offset must be its end; and A's final
state of every partition must equal the reference.
"""

from __future__ import annotations

import collections
import threading
import time
from pathlib import Path

from tools.reliability import harness as H

INCIDENTS = 30_000
PARTITIONS = 6
THREADS = {"VIGIL_PIPELINE_WORKER_THREADS": "2"}


def test_partitions_move_between_two_thread_instances_without_loss_or_doubles(tmp_path: Path) -> None:
    broker = H.Broker(H.require_env("VIGIL_TEST_BOOTSTRAP"))
    topics = {"incidents": H.unique("rebal-in"), "alerts": H.unique("rebal-alerts"), "dlq": H.unique("rebal-dlq")}
    broker.create_topics({topics["incidents"]: PARTITIONS, topics["alerts"]: 3, topics["dlq"]: 1})
    by_partition = H.split_by_partition(H.real_incidents(INCIDENTS), PARTITIONS)
    assert all(by_partition), "region keying spreads the incidents over every partition"
    reference = H.reference_run(by_partition, tmp_path)
    sizes = [len(p) for p in by_partition]
    # The first 70 % (in event time, across partitions) flows while B joins; the rest after B left.
    cut = sorted(H.event_ms(inc) for part in by_partition for inc in part)[int(0.7 * sum(sizes))]
    first = [[inc for inc in part if H.event_ms(inc) < cut] for part in by_partition]
    rest = [[inc for inc in part if H.event_ms(inc) >= cut] for part in by_partition]
    assert all(rest), "every partition receives records after B left"

    group = H.unique("rebal-group")
    a = H.Daemon(broker.bootstrap, group, topics, tmp_path, "instance-a", env=THREADS).start()
    assert H.wait_for(lambda: bool(a.logged("partitions assigned")), 60), "A joined the group"
    producer = threading.Thread(target=broker.produce, args=(topics["incidents"], first), kwargs={"rate": 2500.0})
    producer.start()
    assert H.wait_for(lambda: any(o > 0 for o in broker.committed(group, topics["incidents"], PARTITIONS)), 60), \
        "A is consuming"
    b = H.Daemon(broker.bootstrap, group, topics, tmp_path, "instance-b", env=THREADS).start()
    # Cooperative: B's first assignment is empty; A revokes, and the next round gives B partitions.
    assert H.wait_for(lambda: any(x.get("kafka.partitions") != "[]" for x in b.logged("partitions assigned")), 60), \
        "B joined the group and took partitions from A"
    assert H.wait_for(lambda: bool(b.logged("partition state rebuilt; live from the committed offset")), 60), \
        "B rebuilt the partitions it took and went live"
    time.sleep(2)
    assert b.terminate() == 0, "B leaves cleanly"
    producer.join()
    broker.produce(topics["incidents"], rest, rate=2500.0)

    assert H.wait_for(lambda: broker.committed(group, topics["incidents"], PARTITIONS) == sizes, 180), \
        f"A did not finish: {broker.committed(group, topics['incidents'], PARTITIONS)} of {sizes}"
    assert a.terminate() == 0, "A stops cleanly"

    for daemon in (a, b):
        started = daemon.logged("consuming")
        assert started and started[0].get("pipeline.worker_threads") == "2", f"{daemon.name} ran with 2 worker threads"
    assert a.logged("partitions revoked"), "A gave partitions to B while the stream was flowing"
    assert b.stop_digests(), "B processed the partitions it owned before it left"
    assert a.logged("partition state rebuilt; live from the committed offset"), "A rebuilt the partitions it took back"

    alerts = H.alerts_on_topic(broker, topics["alerts"])
    counts = collections.Counter(x["id"] for x in alerts)
    assert reference.alert_ids - set(counts) == set(), "alerts lost across the rebalances"
    assert set(counts) - reference.alert_ids == set(), "alerts invented across the rebalances"
    doubled = {i: n for i, n in counts.items() if n > 1}
    assert not doubled, f"alerts sent twice across the rebalances: {list(doubled.items())[:5]}"
    assert a.stop_digests() == dict(enumerate(reference.digests)), "A's final state of every partition equals the reference"
