#!/usr/bin/env python3
"""Readable live tail of Vigil's alerts topic (and optionally its dead-letter
topic) for operators.

Each alert is printed as one line: local time of the alert's event_time,
kind, severity and Vigil's own ``summary`` line when the alert has one; otherwise a summary built
from whichever of these fields are present:
key.category, neighbourhood, location.cell, location.lat/lon, evidence.count,
evidence.threshold, window.duration_s.  Unknown shapes, non-JSON values and
tombstones are printed raw behind a warning marker; nothing is fatal.

By default the tail is group-less: every partition is assigned from the
beginning (--no-from-beginning: from the end), nothing is committed.  With
--group the consumer joins that group instead (committing offsets).

Examples:
  tail_alerts.py --bootstrap 127.0.0.1:9092
  tail_alerts.py --bootstrap 127.0.0.1:9092 --dead-letter-topic incidents.dlq --max-seconds 60
  tail_alerts.py --bootstrap 127.0.0.1:9092 --json --max-alerts 10 | jq .
"""

from __future__ import annotations

import argparse
import collections
import heapq
import json
import math
import os
import signal
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any

# ---------------------------------------------------------------------------
# Rendering (pure; no Kafka needed)

_RESET = "\x1b[0m"
_STYLES = {
    "dim": "\x1b[2m",
    "bold": "\x1b[1m",
    "red": "\x1b[31m",
    "bold_red": "\x1b[1;31m",
    "yellow": "\x1b[33m",
    "cyan": "\x1b[36m",
    "magenta": "\x1b[35m",
    "green": "\x1b[32m",
    "blue": "\x1b[34m",
}
_SEVERITY_STYLE = {
    "critical": "bold_red", "crit": "bold_red", "fatal": "bold_red", "emergency": "bold_red",
    "high": "red", "error": "red", "major": "red",
    "medium": "yellow", "warning": "yellow", "warn": "yellow", "moderate": "yellow",
    "low": "cyan", "info": "cyan", "minor": "cyan", "notice": "cyan",
}


class Renderer:
    def __init__(self, color: bool, tz: tzinfo | None = None):
        self.color = color
        self.tz = tz  # None: system local time zone

    def c(self, style: str, text: str) -> str:
        if not self.color or not text:
            return text
        return f"{_STYLES[style]}{text}{_RESET}"

    # -- helpers ------------------------------------------------------------

    def fmt_time(self, value: Any, fallback_ms: int | None = None) -> str:
        """Local wall time of an RFC 3339 string / epoch number; '~' marks a
        fallback to the Kafka message timestamp."""
        dt = parse_time(value)
        approx = ""
        if dt is None and fallback_ms is not None and fallback_ms > 0:
            dt = datetime.fromtimestamp(fallback_ms / 1000, tz=UTC)
            approx = "~"
        if dt is None:
            if value is None:
                return "?" + " " * 18
            return _clip(str(value), 19).ljust(19)
        try:
            local = dt.astimezone(self.tz)
        except (OverflowError, ValueError, OSError):
            return _clip(str(value), 19).ljust(19)
        return approx + local.strftime("%Y-%m-%d %H:%M:%S")

    def severity(self, sev: Any) -> str:
        text = "-" if sev is None else str(sev)
        style = _SEVERITY_STYLE.get(text.strip().lower())
        padded = text.upper().ljust(8)
        return self.c(style, padded) if style else padded

    # -- alerts -------------------------------------------------------------

    def alert_line(self, value: bytes | None, ts_ms: int | None = None) -> tuple[str, bool]:
        """(line, parsed_ok) for one alerts-topic message value."""
        warn = self.c("bold_red", "⚠")
        if value is None:
            return f"{warn} {self.fmt_time(None, ts_ms)}  {self.c('magenta', 'tombstone')} (null value)", False
        text = value.decode("utf-8", errors="replace")
        try:
            obj = json.loads(text)
        except ValueError:
            return f"{warn} {self.fmt_time(None, ts_ms)}  {self.c('magenta', 'non-JSON')} {_clip(_oneline(text), 200)}", False
        if not isinstance(obj, dict):
            return (f"{warn} {self.fmt_time(None, ts_ms)}  {self.c('magenta', 'JSON ' + type(obj).__name__)} "
                    f"{_clip(_oneline(text), 200)}"), False

        when = self.fmt_time(first(obj, "event_time", "time", "timestamp", "window.end"), ts_ms)
        kind = first(obj, "kind", "type", "alert_kind", "rule")
        kind_s = _clip(str(kind), 24) if kind is not None else "?"
        summary = obj.get("summary")
        if isinstance(summary, str) and summary:
            # Vigil's own one-line summary says what, where, when, against what expectation.
            ids = obj.get("incident_ids") or []
            cited = self.c("dim", f"  [{len(ids)} incidents: {', '.join(map(str, ids[-3:]))}{', …' if len(ids) > 3 else ''}]") if ids else ""
            return (f"{self.c('dim', when)}  {self.c('blue', kind_s.ljust(16))} {self.severity(obj.get('severity'))} "
                    f"{_clip(_oneline(summary), 400)}{cited}"), True
        parts: list[str] = []

        category = first(obj, "key.category", "category", "evidence.category")
        if category is not None:
            parts.append(self.c("bold", _clip(str(category), 40)))
        hood = first(obj, "neighbourhood", "key.neighbourhood", "location.neighbourhood", "region", "key.region")
        if hood is not None:
            parts.append("@ " + _clip(str(hood), 60))
        cell = first(obj, "location.cell", "key.cell", "cell")
        if cell is not None:
            parts.append(self.c("dim", f"cell {_clip(str(cell), 32)}"))
        lat, lon = first(obj, "location.lat", "lat"), first(obj, "location.lon", "location.lng", "lon")
        if lat is not None or lon is not None:
            parts.append(self.c("dim", f"({_num(lat, 4)},{_num(lon, 4)})"))
        count = first(obj, "evidence.count", "count")
        thr = first(obj, "evidence.threshold", "threshold")
        score = first(obj, "evidence.score", "score")
        if score is not None:  # high_risk: the model's score against its threshold, and why
            parts.append(f"score {self.c('bold', _num(score, 3))} ≥ {_num(thr, 3)}")
            top = obj.get("evidence", {}).get("top_features") or []
            if top:
                parts.append(self.c("dim", "via " + ", ".join(str(f.get("name")) for f in top[:3])))
            count = thr = None
        if count is not None and thr is not None:
            parts.append(f"{self.c('bold', _num(count))} ≥ {_num(thr)}")
        elif count is not None:
            parts.append(f"count={self.c('bold', _num(count))}")
        elif thr is not None:
            parts.append(f"threshold={_num(thr)}")
        dur = first(obj, "window.duration_s", "window_s", "window.size_s")
        if dur is not None:
            parts.append(f"in {_duration(dur)}")
        if not parts:
            rest = {k: v for k, v in obj.items() if k not in ("kind", "type", "severity", "event_time")}
            parts.append(self.c("dim", _clip(json.dumps(rest, separators=(",", ":"), ensure_ascii=False), 160)))

        return (f"{self.c('dim', when)}  {self.c('blue', kind_s.ljust(14))} {self.severity(obj.get('severity'))} "
                + "  ".join(parts)), True

    # -- dead letters -------------------------------------------------------

    def dead_letter_line(self, value: bytes | None, headers: Sequence[tuple[str, bytes | None]] | None,
                         ts_ms: int | None = None) -> str:
        hdrs = vigil_headers(headers)
        if hdrs:
            h = "  ".join(f"{self.c('yellow', k)}={_clip(_oneline(v), 120)}" for k, v in hdrs)
        else:
            h = self.c("dim", "(no vigil.* headers)")
        if value is None:
            payload = "<tombstone>"
        else:
            payload = _clip(_oneline(value.decode("utf-8", errors="replace")), 80)
        return (f"{self.c('dim', self.fmt_time(None, ts_ms))}  {self.c('bold_red', 'DEAD-LETTER'.ljust(14))} "
                f"{h}  {self.c('dim', 'payload:')} {payload}")


class ReorderBuffer:
    """Holds lines for a short grace and hands them out in the order of the time they show.

    Why: Vigil keys each alert by its cluster (or hotspot, or cell), so one cluster's alerts stay
    in order on one partition, but a reader of several partitions (and of the dead-letter topic)
    sees them interleaved as fetched: a cluster ending at 09:00 could print after another
    emerging at 12:00 that the same incident decided. A line is released once it has waited
    ``grace`` seconds, with every held line shown at or before it, in (shown time, arrival)
    order; a line shown before one already released goes out at the next release (late, never
    dropped). A heap and the arrival queue keep each line's cost logarithmic, so a tail read from
    the beginning of a busy topic does not stall. Pure: the caller passes the clock.
    """

    def __init__(self, grace: float):
        self.grace = grace
        self._heap: list[tuple[float, int, str]] = []  # (key, seq, line)
        self._arrivals: collections.deque[tuple[float, float, int]] = collections.deque()  # (arrived, key, seq)
        self._bound: tuple[float, int] | None = None  # the latest (key, seq) that has waited
        self._latest = -math.inf  # the latest shown time added so far
        self._seq = 0

    def add(self, key_ms: float | None, line: str, now: float) -> list[str]:
        """Takes one line whose shown time is ``key_ms`` and returns what is due at ``now``. A line
        without a time (a tombstone, a non-JSON value) sorts with the latest time added before
        it: as an infinite time it would, once waited, release every later line at once and end
        the reordering for good."""
        if key_ms is None:
            key = self._latest
        else:
            key = key_ms
            self._latest = max(self._latest, key)
        heapq.heappush(self._heap, (key, self._seq, line))
        self._arrivals.append((now, key, self._seq))
        self._seq += 1
        return self.due(now)

    def due(self, now: float) -> list[str]:
        """The lines due at ``now``, in shown-time order."""
        while self._arrivals and (self.grace <= 0 or now - self._arrivals[0][0] >= self.grace):
            _, key, seq = self._arrivals.popleft()
            if self._bound is None or (key, seq) > self._bound:
                self._bound = (key, seq)
        out: list[str] = []
        while self._heap and self._bound is not None and self._heap[0][:2] <= self._bound:
            out.append(heapq.heappop(self._heap)[2])
        return out

    def flush(self) -> list[str]:
        """Everything held, in shown-time order (at exit)."""
        out = [heapq.heappop(self._heap)[2] for _ in range(len(self._heap))]
        self._arrivals.clear()
        return out


def shown_time_ms(value: bytes | None, ts_ms: int | None) -> float | None:
    """The time an alert line shows (its event time, else the message timestamp), in ms."""
    if value is not None:
        try:
            obj = json.loads(value)
        except ValueError:
            obj = None
        if isinstance(obj, dict):
            dt = parse_time(first(obj, "event_time", "time", "timestamp", "window.end"))
            if dt is not None:
                return dt.timestamp() * 1000
    return float(ts_ms) if ts_ms is not None and ts_ms > 0 else None


def first(obj: dict[str, Any], *paths: str) -> Any:
    """First non-null value among dotted ``paths`` (nested dicts or flat dotted keys)."""
    for path in paths:
        if path in obj and obj[path] is not None:
            return obj[path]
        cur: Any = obj
        for part in path.split("."):
            if isinstance(cur, dict) and part in cur:
                cur = cur[part]
            else:
                cur = None
                break
        if cur is not None and not isinstance(cur, (dict, list)):
            return cur
    return None


def parse_time(value: Any) -> datetime | None:
    """RFC 3339 string or epoch number (s or ms) -> aware datetime."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            return None
        secs = value / 1000 if abs(value) > 1e11 else value  # ms vs s heuristic
        try:
            return datetime.fromtimestamp(secs, tz=UTC)
        except (OverflowError, ValueError, OSError):
            return None
    if isinstance(value, str):
        s = value.strip()
        if s.endswith(("Z", "z")):
            s = s[:-1] + "+00:00"
        try:
            dt = datetime.fromisoformat(s)
        except ValueError:
            return None
        return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)
    return None


def vigil_headers(headers: Sequence[tuple[str, bytes | None]] | None) -> list[tuple[str, str]]:
    out = []
    for name, val in headers or ():
        if isinstance(name, str) and name.lower().startswith("vigil."):
            if val is None:
                text = "null"
            elif isinstance(val, bytes):
                text = val.decode("utf-8", errors="replace")
            else:
                text = str(val)
            out.append((name, text))
    return out


def _oneline(text: str) -> str:
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _num(v: Any, digits: int | None = None) -> str:
    if isinstance(v, bool) or v is None:
        return "?" if v is None else str(v)
    if isinstance(v, float) and digits is not None and math.isfinite(v):
        return f"{v:.{digits}f}"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return _clip(str(v), 24)


def _duration(v: Any) -> str:
    try:
        s = float(v)
    except (TypeError, ValueError):
        return _clip(str(v), 24)
    if not math.isfinite(s) or s < 0:
        return str(v)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= size and s % size == 0:
            return f"{int(s // size)}{unit}"
    return f"{s:g}s"


# ---------------------------------------------------------------------------
# CLI


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tail_alerts.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bootstrap", required=True, metavar="HOST:PORT", help="Kafka bootstrap servers")
    p.add_argument("--topic", default="alerts", help="alerts topic (default: %(default)s)")
    p.add_argument("--dead-letter-topic", metavar="T",
                   help="also tail this dead-letter topic (shows vigil.* headers and the payload start)")
    p.add_argument("--from-beginning", action=argparse.BooleanOptionalAction, default=True,
                   help="start at the beginning of every partition (default) or, with "
                        "--no-from-beginning, at the end")
    p.add_argument("--group", metavar="ID",
                   help="join this consumer group (subscribe + commit) instead of the default "
                        "group-less assignment")
    p.add_argument("--max-seconds", type=float, metavar="S", help="stop after S seconds (default: until Ctrl-C)")
    p.add_argument("--max-alerts", type=int, metavar="N", help="stop after N alerts")
    p.add_argument("--json", action="store_true",
                   help="print raw alert JSON lines (dead letters as {\"dead_letter\":true,...} lines)")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="colour output (default: auto = when stdout is a TTY and NO_COLOR is unset)")
    p.add_argument("--tz", metavar="ZONE", help="show times in this IANA zone (default: local zone)")
    p.add_argument("--reorder-seconds", type=float, default=1.0, metavar="S",
                   help="hold each line up to S seconds so lines from several partitions and the "
                        "dead-letter topic print in time order (default: %(default)s; 0: as fetched)")
    p.add_argument("-X", "--consumer-config", action="append", default=[], metavar="KEY=VALUE",
                   help="extra librdkafka consumer setting (repeatable)")
    return p


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, Consumer, KafkaError, TopicPartition

    tz = None
    if args.tz:
        from zoneinfo import ZoneInfo
        try:
            tz = ZoneInfo(args.tz)
        except Exception:  # noqa: BLE001
            print(f"error: unknown time zone {args.tz!r}", file=sys.stderr)
            return 2
    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
    r = Renderer(color, tz)

    extra = {}
    for kv in args.consumer_config:
        if "=" not in kv:
            print(f"error: expected KEY=VALUE: {kv!r}", file=sys.stderr)
            return 2
        k, v = kv.split("=", 1)
        extra[k.strip()] = v

    topics = [args.topic] + ([args.dead_letter_topic] if args.dead_letter_topic and
                             args.dead_letter_topic != args.topic else [])
    conf: dict[str, Any] = {
        "bootstrap.servers": args.bootstrap,
        "client.id": "vigil-tail-alerts",
        "group.id": args.group or f"vigil-tail-{uuid.uuid4().hex[:12]}",
        "enable.auto.commit": bool(args.group),
        "auto.offset.reset": "earliest" if args.from_beginning else "latest",
        "session.timeout.ms": 6000,
        **extra,
    }
    consumer = Consumer(conf)

    stop = {"requested": False}

    def on_signal(signum, frame):  # noqa: ANN001
        if stop["requested"]:
            sys.exit(130)
        stop["requested"] = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    assigned: dict[str, set[int]] = {t: set() for t in topics}
    waiting_noted: set[str] = set()
    first_check = True

    def refresh_assignment() -> None:
        """Group-less mode: assign partitions (also ones that appear later)."""
        nonlocal first_check
        try:
            md = consumer.list_topics(timeout=5)  # all topics: never auto-creates
        except Exception as e:  # noqa: BLE001
            print(f"warning: metadata request failed: {e}", file=sys.stderr)
            return
        new = []
        for t in topics:
            tm = md.topics.get(t)
            if tm is None or tm.error is not None:
                if t not in waiting_noted:
                    print(f"waiting for topic {t} to exist…", file=sys.stderr)
                    waiting_noted.add(t)
                continue
            for pid in sorted(tm.partitions):
                if pid not in assigned[t]:
                    # partitions found after start are new: read them whole
                    off = OFFSET_BEGINNING if (args.from_beginning or not first_check) else OFFSET_END
                    new.append(TopicPartition(t, pid, off))
                    assigned[t].add(pid)
        if new:
            consumer.incremental_assign(new)
        first_check = False

    if args.group:
        consumer.subscribe(topics)
    else:
        refresh_assignment()

    start = time.monotonic()
    deadline = start + args.max_seconds if args.max_seconds is not None else None
    next_refresh = start + 5.0
    n_alerts = n_dead = n_bad = 0
    reorder = ReorderBuffer(args.reorder_seconds)

    def emit(lines: list[str]) -> None:
        for line in lines:
            _out(line)
    reported_errors: set[int] = set()
    rc = 0
    try:
        while not stop["requested"]:
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                break
            if args.max_alerts is not None and n_alerts >= args.max_alerts:
                break
            if not args.group and now >= next_refresh:
                refresh_assignment()
                next_refresh = now + 5.0
            timeout = 0.5 if deadline is None else max(0.0, min(0.5, deadline - now))
            msg = consumer.poll(timeout)
            emit(reorder.due(time.monotonic()))
            if msg is None:
                continue
            err = msg.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    continue
                if err.code() not in reported_errors:  # say each kind of error once
                    reported_errors.add(err.code())
                    print(f"warning: {err}", file=sys.stderr)
                if err.fatal():
                    rc = 1
                    break
                continue
            ts_type, ts = msg.timestamp()
            ts_ms = ts if ts_type != 0 else None
            value = msg.value()
            if msg.topic() == args.topic:
                n_alerts += 1
                if args.json:
                    if value is None:
                        print(f"warning: tombstone at {msg.topic()}[{msg.partition()}]@{msg.offset()}",
                              file=sys.stderr)
                        n_bad += 1
                        continue
                    text = value.decode("utf-8", errors="replace")
                    try:
                        obj = json.loads(text)
                    except ValueError:
                        print(f"warning: non-JSON at {msg.topic()}[{msg.partition()}]@{msg.offset()}: "
                              f"{_clip(_oneline(text), 200)}", file=sys.stderr)
                        n_bad += 1
                        continue
                    line = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
                else:
                    line, ok = r.alert_line(value, ts_ms)
                    n_bad += 0 if ok else 1
                emit(reorder.add(shown_time_ms(value, ts_ms), line, time.monotonic()))
            else:
                n_dead += 1
                if args.json:
                    line = json.dumps({
                        "dead_letter": True, "topic": msg.topic(), "partition": msg.partition(),
                        "offset": msg.offset(), "timestamp_ms": ts_ms,
                        "headers": dict(vigil_headers(msg.headers())),
                        "payload": None if value is None else value.decode("utf-8", errors="replace"),
                    }, separators=(",", ":"), ensure_ascii=False)
                else:
                    line = r.dead_letter_line(value, msg.headers(), ts_ms)
                emit(reorder.add(float(ts_ms) if ts_ms and ts_ms > 0 else None, line, time.monotonic()))
        emit(reorder.flush())
    except BrokenPipeError:
        # reader went away (e.g. `| head`): stop quietly
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
    finally:
        try:
            consumer.close()
        except Exception:  # noqa: BLE001
            pass
    extra_s = f" ({n_bad} unparseable)" if n_bad else ""
    print(f"{n_alerts} alerts, {n_dead} dead letters seen{extra_s}", file=sys.stderr, flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
