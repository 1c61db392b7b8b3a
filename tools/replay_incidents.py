#!/usr/bin/env python3
"""Replay the Toronto Major Crime Indicators data set into Kafka (or NDJSON)
as Vigil canonical incidents, in event-time order, optionally paced.

Examples:
  # everything, as fast as possible
  replay_incidents.py --bootstrap 127.0.0.1:9092
  # the last 30 days of data, with a malformed message every 500 incidents
  replay_incidents.py --bootstrap 127.0.0.1:9092 --last-days 30 --inject-malformed 500
  # one data day per wall second, timestamps moved so the first one is "now"
  replay_incidents.py --bootstrap 127.0.0.1:9092 --last-days 3 --speed 86400 --shift-to-now
  # offline: NDJSON file instead of Kafka
  replay_incidents.py --to-file incidents.ndjson --from 2021-01-01 --to 2021-01-31

Message key = neighbourhood (b"unknown" if absent), or the city with --key city
(one partition holds the whole city: one engine, exactly what ``vigil replay``
says; docs/SCALE-OUT.md); message timestamp
(CreateTime) = event time in epoch ms (the shifted time with --shift-to-now;
left to the producer for pre-1970 events, which Kafka cannot represent).
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tools.vigil_tools.toronto import (
    SPLITS,
    TORONTO,
    Incident,
    kafka_key,
    load_incidents,
    to_json,
)

PROGRESS_EVERY_S = 2.0
MALFORMED_KINDS = ("invalid-json", "missing-category", "lat-string", "null-island", "tombstone")
INVALID_JSON = b'{"id": "x", '


# ---------------------------------------------------------------------------
# Arguments


def _speed(text: str) -> float:
    t = text.strip().lower()
    if t in ("max", "inf", "infinity", "0"):
        return 0.0
    try:
        v = float(t)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number or 'max': {text!r}") from None
    if not math.isfinite(v) or v < 0:
        raise argparse.ArgumentTypeError(f"speed must be >= 0 or 'max': {text!r}")
    return v


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date (YYYY-MM-DD): {text!r}") from None


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0: {text!r}")
    return v


def _splits(text: str) -> list[str]:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        raise argparse.ArgumentTypeError("no split given")
    for p in parts:
        if p not in SPLITS:
            raise argparse.ArgumentTypeError(f"unknown split {p!r} (choose from {', '.join(SPLITS)})")
    return parts


def _kv(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE: {text!r}")
    k, v = text.split("=", 1)
    return k.strip(), v


def load_ndjson(path: str) -> list[Incident]:
    """Canonical incident objects from an NDJSON file, in (event time, id) order."""
    import json
    from zoneinfo import ZoneInfo
    zone = ZoneInfo("America/Toronto")
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            obj = json.loads(line)
            when = datetime.fromisoformat(obj["event_time"].replace("Z", "+00:00"))
            out.append(Incident(int(when.timestamp() * 1000), when.astimezone(zone).date(), obj))
    out.sort(key=Incident.sort_key)
    return out


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="replay_incidents.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    out = p.add_argument_group("output (exactly one)")
    dest = out.add_mutually_exclusive_group(required=True)
    dest.add_argument("--bootstrap", metavar="HOST:PORT", help="Kafka bootstrap servers")
    dest.add_argument("--to-file", metavar="PATH",
                      help="write NDJSON (one canonical incident per line) instead of producing; "
                           "'-' = stdout. Same order, filters and pacing; injected tombstones are skipped")
    kafka = p.add_argument_group("kafka")
    kafka.add_argument("--topic", default="incidents", help="target topic (default: %(default)s)")
    kafka.add_argument("--key", choices=("neighbourhood", "city"), default="neighbourhood",
                       help="message key: the neighbourhood (incidents spread over partitions), or the "
                            "city (all on one partition, the exact layout; default: %(default)s)"),
    kafka.add_argument("--partitions", type=_positive_int, default=3, metavar="N",
                       help="create the topic with N partitions if it does not exist "
                            "(default: %(default)s; 0 = never create)")
    kafka.add_argument("-X", "--producer-config", type=_kv, action="append", default=[], metavar="KEY=VALUE",
                       help="extra librdkafka producer/admin setting (repeatable)")
    sel = p.add_argument_group("selection (applied in this order)")
    sel.add_argument("--splits", type=_splits, default=list(SPLITS), metavar="train,test",
                     help="data files to use (default: train,test)")
    sel.add_argument("--ndjson", metavar="PATH",
                     help="read canonical incident JSON lines from PATH instead of the packaged data "
                          "(e.g. a stream with planted episodes from tools/reference/plant_episodes.py)")
    sel.add_argument("--from", dest="date_from", type=_iso_date, metavar="DATE",
                     help="first local (America/Toronto) event date to include, YYYY-MM-DD")
    sel.add_argument("--to", dest="date_to", type=_iso_date, metavar="DATE",
                     help="last local event date to include (inclusive), YYYY-MM-DD")
    sel.add_argument("--last-days", type=_positive_int, metavar="N",
                     help="keep only the last N calendar days of the (filtered) data")
    sel.add_argument("--limit", type=_positive_int, metavar="N", help="replay at most N incidents")
    run = p.add_argument_group("replay")
    run.add_argument("--speed", type=_speed, default=0.0, metavar="X",
                     help="event-time seconds per wall second (86400 = one data day per second); "
                          "'0' or 'max' = as fast as possible (default)")
    run.add_argument("--shift-to-now", action="store_true",
                     help="move event times so the first replayed incident is 'now' (wall clock); "
                          "relative offsets are kept")
    run.add_argument("--inject-malformed", type=_positive_int, default=0, metavar="N",
                     help="after every N-th incident also send one malformed message, cycling through: "
                          + ", ".join(MALFORMED_KINDS) + " (default: 0 = none)")
    run.add_argument("--quiet", "-q", action="store_true", help="no progress lines on stderr")
    return p


# ---------------------------------------------------------------------------
# Selection


def select(incidents: Sequence[Incident], *, date_from: date | None = None, date_to: date | None = None,
           last_days: int | None = None, limit: int | None = None) -> list[Incident]:
    """Apply --from/--to (local event date, inclusive), then --last-days, then --limit."""
    out = list(incidents)
    if date_from is not None:
        out = [i for i in out if i.local_date is not None and i.local_date >= date_from]
    if date_to is not None:
        out = [i for i in out if i.local_date is not None and i.local_date <= date_to]
    if last_days is not None:
        dates = [i.local_date for i in out if i.local_date is not None]
        if dates and last_days > 0:
            first = max(dates) - timedelta(days=last_days - 1)
            out = [i for i in out if i.local_date is not None and i.local_date >= first]
        else:
            out = []
    if limit is not None:
        out = out[:limit]
    return out


def shifted_obj(obj: dict[str, Any], epoch_ms: int) -> dict[str, Any]:
    """Copy of ``obj`` with event_time rewritten to ``epoch_ms`` (Toronto offset)."""
    new = dict(obj)
    t = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).astimezone(TORONTO)
    new["event_time"] = t.isoformat(timespec="seconds")
    return new


def malformed(kind: str, obj: dict[str, Any]) -> bytes | None:
    """The malformed payload of ``kind`` derived from a good incident object."""
    if kind == "invalid-json":
        return INVALID_JSON
    if kind == "tombstone":
        return None
    bad = dict(obj)
    bad["id"] = f"{obj.get('id', 'x')}-malformed-{kind}"
    if kind == "missing-category":
        bad.pop("category", None)
    elif kind == "lat-string":
        bad["lat"] = str(obj.get("lat", "43.7"))
    elif kind == "null-island":
        bad["lat"] = 0.0
        bad["lon"] = 0.0
    else:
        raise ValueError(kind)
    return to_json(bad)


# ---------------------------------------------------------------------------
# Sinks


class KafkaSink:
    def __init__(self, bootstrap: str, topic: str, partitions: int, extra: dict[str, str], log: Callable[[str], None]):
        from confluent_kafka import KafkaError, KafkaException, Producer
        from confluent_kafka.admin import AdminClient, NewTopic

        self.topic = topic
        self.delivered = 0
        self.failed = 0
        self.first_error: str | None = None
        base = {"bootstrap.servers": bootstrap, **extra}
        if partitions > 0:
            admin = AdminClient(base)
            existing = admin.list_topics(timeout=15).topics
            if topic not in existing:
                fut = admin.create_topics([NewTopic(topic, num_partitions=partitions)], operation_timeout=15)[topic]
                try:
                    fut.result(timeout=30)
                    log(f"created topic {topic} with {partitions} partitions")
                except KafkaException as e:
                    err = e.args[0] if e.args else None
                    if not (isinstance(err, KafkaError) and err.code() == KafkaError.TOPIC_ALREADY_EXISTS):
                        raise
        self._producer = Producer({
            "client.id": "vigil-replay",
            "enable.idempotence": True,
            "linger.ms": 5,
            **base,
            "on_delivery": self._on_delivery,
        })

    def _on_delivery(self, err, msg) -> None:  # noqa: ANN001 - librdkafka callback
        if err is None:
            self.delivered += 1
        else:
            self.failed += 1
            if self.first_error is None:
                self.first_error = str(err)

    def send(self, value: bytes | None, key: bytes, ts_ms: int | None, headers: list | None = None) -> bool:
        kwargs: dict[str, Any] = {}
        if ts_ms is not None and ts_ms >= 0:
            kwargs["timestamp"] = ts_ms
        if headers:
            kwargs["headers"] = headers
        while True:
            try:
                self._producer.produce(self.topic, value, key, **kwargs)
                return True
            except BufferError:  # local queue full: serve callbacks and retry
                self._producer.poll(0.05)

    def poll(self, timeout: float) -> None:
        self._producer.poll(timeout)

    def close(self) -> int:
        """Flush; returns the number of messages still undelivered."""
        left = self._producer.flush(30)
        self.failed += left
        if left and self.first_error is None:
            self.first_error = f"{left} messages not delivered within the 30 s flush timeout"
        return left


class FileSink:
    def __init__(self, path: str):
        self.topic = path
        self.delivered = 0
        self.failed = 0
        self.first_error: str | None = None
        self._fh = sys.stdout.buffer if path == "-" else open(path, "wb")

    def send(self, value: bytes | None, key: bytes, ts_ms: int | None, headers: list | None = None) -> bool:
        if value is None:  # a tombstone has no NDJSON form
            return False
        self._fh.write(value + b"\n")
        self.delivered += 1
        return True

    def poll(self, timeout: float) -> None:
        if timeout > 0:
            self._fh.flush()
            time.sleep(timeout)

    def close(self) -> int:
        self._fh.flush()
        if self._fh is not sys.stdout.buffer:
            self._fh.close()
        return 0


# ---------------------------------------------------------------------------
# Main


def _fmt_event(obj: dict[str, Any]) -> str:
    t = obj.get("event_time")
    return t[:16].replace("T", " ") if isinstance(t, str) else "?"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def log(msg: str) -> None:
        if not args.quiet:
            print(msg, file=sys.stderr, flush=True)

    stop = {"requested": False}

    def on_signal(signum, frame):  # noqa: ANN001
        if stop["requested"]:  # second signal: give up on the flush
            print("interrupted again, exiting without flushing", file=sys.stderr)
            sys.exit(130)
        stop["requested"] = True
        print(f"received {signal.Signals(signum).name}: stopping, flushing", file=sys.stderr, flush=True)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    t_load = time.monotonic()
    incidents = load_ndjson(args.ndjson) if args.ndjson else load_incidents(args.splits)
    total_loaded = len(incidents)
    incidents = select(incidents, date_from=args.date_from, date_to=args.date_to,
                       last_days=args.last_days, limit=args.limit)
    total = len(incidents)
    span = ""
    if incidents:
        span = f", {_fmt_event(incidents[0].obj)} .. {_fmt_event(incidents[-1].obj)}"
    log(f"loaded {total_loaded} incidents in {time.monotonic() - t_load:.1f}s; replaying {total}{span}")

    try:
        if args.to_file:
            sink: KafkaSink | FileSink = FileSink(args.to_file)
        else:
            sink = KafkaSink(args.bootstrap, args.topic, args.partitions, dict(args.producer_config), log)
    except Exception as e:  # noqa: BLE001 - report and exit cleanly
        print(f"error: cannot set up output: {e}", file=sys.stderr)
        return 2

    speed = args.speed
    city_key = b"toronto" if args.key == "city" else None
    t0_ms = next((i.epoch_ms for i in incidents if i.epoch_ms is not None), None)
    shift_ms = 0
    if args.shift_to_now and t0_ms is not None:
        shift_ms = int(time.time()) * 1000 - t0_ms  # whole seconds: keeps second precision
    start = time.monotonic()
    next_progress = start + PROGRESS_EVERY_S
    last_n, last_t = 0, start
    sent = 0
    bad_sent = 0
    bad_cycle = 0
    every = args.inject_malformed
    obj: dict[str, Any] = {}

    def progress(now: float) -> None:
        nonlocal next_progress, last_n, last_t
        rate = (sent - last_n) / max(now - last_t, 1e-9)
        log(f"replayed {sent}/{total} incidents, event time {_fmt_event(obj)}, {rate:.0f} msg/s")
        last_n, last_t = sent, now
        next_progress = now + PROGRESS_EVERY_S

    for inc in incidents:
        if stop["requested"]:
            break
        ms = inc.epoch_ms
        # pacing: wall time of incident i = start + (t_i - t_0) / speed
        if speed > 0 and ms is not None and t0_ms is not None:
            target = start + (ms - t0_ms) / 1000.0 / speed
            while not stop["requested"]:
                now = time.monotonic()
                if now >= next_progress:
                    progress(now)
                remaining = target - now
                if remaining <= 0:
                    break
                sink.poll(min(remaining, 0.05))
            if stop["requested"]:
                break
        obj = inc.obj
        ts = ms
        if shift_ms and ms is not None:
            ts = ms + shift_ms
            obj = shifted_obj(obj, ts)
        key = city_key if city_key else kafka_key(obj)
        sink.send(to_json(obj), key, ts)
        sent += 1
        if every and sent % every == 0:
            kind = MALFORMED_KINDS[bad_cycle % len(MALFORMED_KINDS)]
            bad_cycle += 1
            if sink.send(malformed(kind, obj), key, ts, [("replay.malformed", kind.encode())]):
                bad_sent += 1
        if sent % 256 == 0:
            sink.poll(0)
        now = time.monotonic()
        if now >= next_progress:
            progress(now)

    sink.close()  # flush: delivery is part of the measured time
    elapsed = time.monotonic() - start
    rate = (sent + bad_sent) / elapsed if elapsed > 0 else 0.0
    where = f"file {sink.topic}" if args.to_file else f"topic {sink.topic}"
    print(f"sent {sent} incidents (+{bad_sent} malformed) to {where} in {elapsed:.1f}s ({rate:.0f} msg/s)",
          file=sys.stderr, flush=True)
    if sink.failed:
        print(f"error: {sink.failed} message(s) failed delivery; first error: {sink.first_error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
