"""The alert tail's ordering across partitions (no broker: the buffer takes the clock as input)."""

from __future__ import annotations

import json

from tools import tail_alerts as tail


def alert(event_time: str, kind: str) -> bytes:
    return json.dumps({"kind": kind, "event_time": event_time, "summary": kind}).encode()


def test_a_cluster_ending_earlier_prints_before_a_later_one_fetched_first():
    # One incident at 12:00Z ends a cluster at 09:00Z (the hourly re-check) and opens another at
    # 12:00Z; keyed by cluster, the two alerts sit on different partitions and may be fetched in
    # either order.
    buf = tail.ReorderBuffer(1.0)
    emerging = alert("2021-11-17T12:00:00Z", "cluster_emerging")
    ended = alert("2021-11-17T09:00:00Z", "cluster_ended")
    assert buf.add(tail.shown_time_ms(emerging, None), "emerging 12:00", now=10.0) == []
    assert buf.add(tail.shown_time_ms(ended, None), "ended 09:00", now=10.2) == []
    assert buf.due(10.9) == []
    assert buf.due(11.0) == ["ended 09:00", "emerging 12:00"]
    assert buf.flush() == []


def test_each_release_takes_the_lines_up_to_the_latest_due_and_keeps_later_ones():
    buf = tail.ReorderBuffer(0.5)
    buf.add(3000.0, "c", now=0.0)
    buf.add(1000.0, "a", now=0.1)
    buf.add(5000.0, "e", now=0.4)
    buf.add(2000.0, "b", now=0.45)
    # At 0.5 only "c" has waited the grace: it goes with everything shown before it.
    assert buf.due(0.5) == ["a", "b", "c"]
    # A line shown before one already printed goes out at once (late, not dropped); the lines
    # shown after the latest printed one keep waiting.
    assert buf.add(1500.0, "late", now=0.6) == ["late"]
    assert buf.due(0.89) == []
    assert buf.due(0.9) == ["e"]
    assert buf.flush() == []


def test_a_long_burst_is_released_in_order_without_stalling():
    # 200,000 lines fetched within the grace, partition by partition (each partition in order,
    # the partitions interleaved by fetch): released in time order, each as its grace ends.
    buf = tail.ReorderBuffer(1.0)
    out: list[str] = []
    n = 200_000
    for i in range(n):
        partition, k = i % 4, i // 4
        key = float(k * 4 + (3 - partition))  # later partitions show earlier times
        out += buf.add(key, f"{key:09.0f}", now=i * 1e-6)
    assert out == []
    out += buf.due(1.0 + n * 1e-6)
    assert out == sorted(out) and len(out) == n


def test_equal_times_keep_their_arrival_order_and_unknown_times_sort_with_the_latest_before():
    buf = tail.ReorderBuffer(1.0)
    buf.add(None, "no time, first of all", now=0.0)
    buf.add(7000.0, "first", now=0.1)
    buf.add(7000.0, "second", now=0.2)
    buf.add(None, "no time", now=0.3)
    buf.add(5000.0, "earlier", now=0.4)
    assert buf.flush() == ["no time, first of all", "earlier", "first", "second", "no time"]


def test_a_line_without_time_does_not_end_the_reordering():
    buf = tail.ReorderBuffer(1.0)
    buf.add(9000.0, "nine", now=0.0)
    buf.add(None, "tombstone", now=0.1)
    assert buf.due(1.1) == ["nine", "tombstone"]
    # Later lines fetched out of order are still put in order.
    assert buf.add(12000.0, "twelve", now=2.0) == []
    assert buf.add(10000.0, "ten", now=2.1) == []
    assert buf.due(3.0) == ["ten", "twelve"]


def test_zero_grace_prints_as_fetched():
    buf = tail.ReorderBuffer(0)
    assert buf.add(9000.0, "late-timed", now=0.0) == ["late-timed"]
    assert buf.add(1000.0, "early-timed", now=0.0) == ["early-timed"]


def test_shown_time_is_the_event_time_else_the_message_timestamp():
    assert tail.shown_time_ms(alert("1970-01-01T00:00:01Z", "x"), 5) == 1000.0
    assert tail.shown_time_ms(b"not json", 1234) == 1234.0
    assert tail.shown_time_ms(None, 1234) == 1234.0
    assert tail.shown_time_ms(b'{"kind":"x"}', None) is None
    assert tail.shown_time_ms(b"[1]", 0) is None
