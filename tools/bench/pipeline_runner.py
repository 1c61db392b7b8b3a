"""What the two Python pipelines Vigil is benchmarked against share: their command line (a file or a
topic) and the Kafka loop around their own processing (consume from the start until --expect messages
or --idle-seconds of silence, produce what the pipeline returns, time from the first message)."""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable, Sequence


def arguments(description: str | None) -> argparse.ArgumentParser:
    """The options both pipelines take; each adds its own model options."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--bootstrap", metavar="HOST:PORT")
    source.add_argument("--input", metavar="NDJSON", help="process a file instead of consuming")
    parser.add_argument("--topic", default="incidents")
    parser.add_argument("--alerts-topic", default="py.alerts")
    parser.add_argument("--expect", type=int, default=0, help="stop after this many messages (Kafka mode)")
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument("--group")
    return parser


def cpu_seconds() -> float:
    """This process's user + system CPU time so far."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# A pipeline's step: the good messages of one poll -> the (value, key) pairs to produce as alerts.
Handler = Callable[[Sequence], list[tuple[bytes, bytes | None]]]


def consume(args: argparse.Namespace, handle: Handler, *, group_prefix: str, batch: int, auto_commit: bool,
            linger_ms: int) -> dict:
    """Runs `handle` over args.topic from the start; {"mode", "messages", "expected", "seconds",
    "messages_per_s", "cpu_seconds"}, the time and CPU counted from the first message."""
    from confluent_kafka import Consumer, Producer

    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": args.group or f"{group_prefix}-{time.time_ns()}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": auto_commit,
                         # What Vigil's consumer uses; the test broker holds a first join for the rebalance timeout otherwise.
                         "session.timeout.ms": 6000, "heartbeat.interval.ms": 1000})
    producer = Producer({"bootstrap.servers": args.bootstrap, "linger.ms": linger_ms})
    consumer.subscribe([args.topic])
    count, first, last, cpu0 = 0, None, time.perf_counter(), 0.0
    try:
        while count < args.expect:
            messages = consumer.consume(num_messages=batch, timeout=0.1)
            now = time.perf_counter()
            if not messages:
                if now - last > args.idle_seconds:
                    break
                continue
            if first is None:
                first, cpu0 = now, cpu_seconds()
            good = [m for m in messages if m.error() is None]
            count += len(good)
            for value, key in handle(good):
                producer.produce(args.alerts_topic, value, key=key)
            producer.poll(0)
            last = time.perf_counter()
        producer.flush(30)
    finally:
        consumer.close()
    seconds = max((last - first) if first else 0.0, 1e-9)
    return {"mode": "kafka", "messages": count, "expected": args.expect, "seconds": round(seconds, 3),
            "messages_per_s": round(count / seconds), "cpu_seconds": cpu_seconds() - cpu0 if first else 0.0}
