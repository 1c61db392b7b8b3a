"""Issue 18's done-when, through `vigil run` on the broker: the tile layout (`[scale_out]`: a router,
scans on 6 routed partitions, one lifecycle) publishes exactly the cluster alerts `vigil replay`
computes on one engine, for a stream with planted surges, emerging clusters and control windows:

- one instance;
- two instances in one group, one stopped mid-stream (its scans, and the router or the lifecycle
  if it held them, move to the survivor, which rebuilds them by re-reading their topics);
- one instance killed (-9) mid-stream and started again (every stage rebuilds from its topics and
  publishes again only what it had not committed);
- one instance, with test_hostile_input.py's 13 bad messages spread through the stream.

"Exactly": the same set of alerts (id, kind, window, counts, recurrence interval, cited incidents:
the whole JSON but the detection time), none missing and none invented; a repeat after a crash
(at-least-once) carries the id and content it had.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tools.reference.plant_episodes import PlantParams, plant_episodes
from tools.reference.plant_surges import day_start_ms, load_records
from tools.reliability import harness as H

PARTITIONS = 6
STALL_SECONDS = 45
CLUSTER_KINDS = "cluster_emerging,cluster_grew,cluster_ended"
# Half a year of planted episodes on a year of real history (as tools/reference/tests/test_episodes.py).
PERIOD = (day_start_ms(date(2021, 1, 15)), day_start_ms(date(2021, 7, 1)))
HISTORY_FROM = day_start_ms(date(2020, 1, 1))
PARAMS = PlantParams(surges=10, clusters=4, controls=4)

_STREAM: dict[str, Any] = {}


def planted_stream(tmp_path: Path, kinds: str = CLUSTER_KINDS) -> tuple[list[dict[str, Any]], list[str]]:
    """The planted stream (seed 104) in file order, and one engine's alerts of KINDS on it (JSON
    lines without the detection time), from `vigil replay`."""
    if "rows" not in _STREAM:
        rows, _ = plant_episodes(load_records([]), seed=104, period=PERIOD, history_from=HISTORY_FROM, params=PARAMS)
        _STREAM["rows"] = [obj for obj, _ in rows]
    rows = _STREAM["rows"]
    if kinds not in _STREAM:
        src, out = tmp_path / "stream.ndjson", tmp_path / "one-engine.ndjson"
        src.write_text("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in rows))
        subprocess.run([H.require_env("VIGIL_BINARY"), "replay", "--quiet", "--config", str(H.CONFIG), "--input", str(src),
                        "--keep-order", "--no-final-evaluation", "--output", str(out)],
                       check=True, capture_output=True, timeout=600,
                       env={**os.environ, "VIGIL_ALERTS_KINDS": kinds})
        _STREAM[kinds] = [canonical(json.loads(line)) for line in out.read_text().splitlines()]
    return rows, _STREAM[kinds]


def canonical(alert: dict[str, Any]) -> str:
    alert.pop("detected_at", None)
    return json.dumps(alert, sort_keys=True)


def tile_topics(broker: H.Broker) -> tuple[dict[str, str], dict[str, str]]:
    topics = {"incidents": H.unique("tile-in"), "alerts": H.unique("tile-alerts"), "dlq": H.unique("tile-dlq")}
    stage = {"routed": H.unique("tile-routed"), "findings": H.unique("tile-findings")}
    broker.create_topics({topics["incidents"]: 1, topics["alerts"]: 3, topics["dlq"]: 1,
                          stage["routed"]: PARTITIONS, stage["findings"]: 1})
    return topics, stage


def daemon(broker: H.Broker, group: str, topics: dict[str, str], stage: dict[str, str], workdir: Path, name: str,
           scan_threads: int | None = None, kinds: str = CLUSTER_KINDS) -> H.Daemon:
    # The shipped layout (Config/vigil.toml), which the harness turns off for the other fault tests.
    env = {"VIGIL_SCALE_OUT_ENABLED": "true", "VIGIL_SCALE_OUT_PARTITIONS": str(PARTITIONS),
           "VIGIL_SCALE_OUT_ROUTED_TOPIC": stage["routed"], "VIGIL_SCALE_OUT_FINDINGS_TOPIC": stage["findings"],
           "VIGIL_ALERTS_KINDS": kinds}
    if scan_threads is not None:
        env["VIGIL_SCALE_OUT_SCAN_THREADS"] = str(scan_threads)
    return H.Daemon(broker.bootstrap, group, topics, workdir, name, env=env)


def published(broker: H.Broker, topic: str) -> list[str]:
    return [canonical(json.loads(value)) for value, _ in broker.read_all(topic)]


def finished(broker: H.Broker, group: str, topics: dict[str, str], stage: dict[str, str], rows: int) -> bool:
    return H.tile_layout_finished(broker, group, topics["incidents"], {
        "VIGIL_SCALE_OUT_ROUTED_TOPIC": stage["routed"], "VIGIL_SCALE_OUT_FINDINGS_TOPIC": stage["findings"],
        "VIGIL_SCALE_OUT_PARTITIONS": str(PARTITIONS)}, rows)


def owns_every_partition(d: H.Daemon, topics: dict[str, str], stage: dict[str, str]) -> bool:
    """Every partition of the router's, the scans' and the lifecycle's topics has been assigned to
    `d`'s stages (the union of its assignment lines: the survivor's own and those it took over)."""
    owned: set[tuple[str, int]] = set()
    for line in d.logged("stage partitions assigned; rebuilding from their start"):
        owned |= {(t, int(p)) for t, p in re.findall(r"([\w.-]+)\[(\d+)\]", str(line.get("kafka.partitions", "")))}
    want = {(topics["incidents"], 0), (stage["findings"], 0)} | {(stage["routed"], p) for p in range(PARTITIONS)}
    return want <= owned


def alerts_logged(*daemons: H.Daemon) -> int:
    """Cluster alerts the daemons have published so far (each alert's JSON is also a log line)."""
    return sum(1 for d in daemons for line in d.log_lines() if str(line.get("kind", "")).startswith("cluster_"))


def stage_metrics(d: H.Daemon, family: str) -> dict[str, float]:
    """A `vigil_stage_*` family from the daemon's /metrics, by stage."""
    port = int(d.logged("admin API listening")[-1]["admin.port"])
    _, _, body = H.http_get(port, "/metrics", timeout=5)
    found = re.findall(rf'^{family}{{stage="([^"]+)"}} (\S+)$', body.decode(), re.M)
    return {stage: float(value) for stage, value in found}


def assert_same_alerts(got: list[str], want: list[str]) -> None:
    print(f"alerts: one engine {len(want)}, published {len(got)} ({len(set(got))} distinct)")
    assert len(want) >= 8, "the planted clusters must alert on one engine"
    assert set(got) - set(want) == set(), f"alerts one engine does not give: {sorted(set(got) - set(want))[:2]}"
    assert set(want) - set(got) == set(), f"alerts missing: {sorted(set(want) - set(got))[:2]}"
    ids: dict[str, str] = {}
    for a in got:
        ident = json.loads(a)["id"]
        assert ids.setdefault(ident, a) == a, f"alert {ident} published twice with different content"


@pytest.fixture
def broker() -> H.Broker:
    return H.Broker(H.require_env("VIGIL_TEST_BOOTSTRAP"))


@pytest.mark.parametrize("kinds", [CLUSTER_KINDS, "all"], ids=["shipped-kinds", "every-kind"])
def test_six_partitions_say_what_one_engine_says(broker: H.Broker, tmp_path: Path, kinds: str) -> None:
    """With the shipped kinds, every alert comes from the layout's lifecycle; with every kind, the
    main pipeline's (surges, counts, hotspots, high risk) join them, from the one input partition's
    engine: the whole alert stream is one engine's."""
    rows, want = planted_stream(tmp_path, kinds)
    topics, stage = tile_topics(broker)
    group = H.unique("tile-group")
    a = daemon(broker, group, topics, stage, tmp_path, "tile-a", kinds=kinds).start()
    broker.produce(topics["incidents"], [rows], keep_order=True)
    assert H.wait_for(lambda: finished(broker, group, topics, stage, len(rows)), 300), "the stages did not finish"
    # Every stage's group settled (librdkafka's statistics say "steady"), and the daemon is ready.
    assert H.wait_for(lambda: a.readyz()[0] == 200, 60), f"ready once the stages are live: {a.readyz()}"
    metrics = stage_metrics(a, "vigil_stage_group_unsettled_seconds")
    assert metrics and set(metrics.values()) == {0.0}, metrics
    assert a.terminate() == 0
    got = published(broker, topics["alerts"])
    assert len(got) == len(set(got)), "an uninterrupted run publishes each alert once"
    assert_same_alerts(got, want)
    # The daemon's last line is its `stopped`, after every stage, and it counts every alert.
    lines = a.log_lines()
    assert lines[-1]["msg"] == "stopped", [line.get("msg") for line in lines[-6:]]
    assert int(lines[-1]["stats.alerts"]) == len(got), (lines[-1], len(got))


def test_bad_messages_among_the_stream_change_no_cluster_alert(broker: H.Broker, tmp_path: Path) -> None:
    """Thirteen bad messages spread through the planted stream: the main pipeline dead-letters each
    once, in order, with its reason; the router gets past each (it judges "too far ahead" by the
    message's own timestamp, so the far-future one is skipped there too); every stage commits all
    of the input; and the cluster alerts are still exactly one engine's on the good rows."""
    rows, want = planted_stream(tmp_path)
    topics, stage = tile_topics(broker)
    bad = H.produce_with_hostile(broker.bootstrap, topics["incidents"], rows, event_timestamps=True)

    group = H.unique("tile-group")
    a = daemon(broker, group, topics, stage, tmp_path, "tile-a").start()
    total = len(rows) + len(bad)
    assert H.wait_for(lambda: finished(broker, group, topics, stage, total), 300), "the stages did not finish"
    assert a.terminate() == 0
    letters = broker.read_all(topics["dlq"])
    assert [(h["vigil.error.reason"], v) for v, h in letters] == bad, \
        "every bad message dead-lettered once (not again by a stage), unchanged, in order, with its reason"
    got = published(broker, topics["alerts"])
    assert len(got) == len(set(got)), "an uninterrupted run publishes each alert once"
    assert_same_alerts(got, want)


def first_rows_with_alerts(rows: list[dict[str, Any]], want: list[str], alerts: int) -> int:
    """How many leading rows hold every incident the first ALERTS of one engine's alerts cite, plus
    a tenth of the stream (event time must move on past them for the evaluations to run)."""
    at = {row["id"]: i for i, row in enumerate(rows)}
    newest = max(at[i] for alert in want[:alerts] for i in json.loads(alert).get("incident_ids", []))
    return newest + 1 + len(rows) // 10


def test_two_instances_one_stopped_mid_stream(broker: H.Broker, tmp_path: Path) -> None:
    rows, want = planted_stream(tmp_path)
    topics, stage = tile_topics(broker)
    group = H.unique("tile-group")
    a = daemon(broker, group, topics, stage, tmp_path, "tile-a").start()
    # The stopped instance runs one scan consumer, so it leaves each stage's group with one member.
    # The local broker (tansu 0.6.0) cannot take two leaves in one rebalance when the second is the
    # group's leader: `Forming::leave` removes the member but keeps it as leader, so the survivor's
    # joins wait for an assignment no one computes, for good (in about 1 run in 5; a Kafka broker
    # elects a new leader). The survivor still runs two scan consumers and takes over several tiles.
    b = daemon(broker, group, topics, stage, tmp_path, "tile-b", scan_threads=1).start()
    assigned = "stage partitions assigned; rebuilding from their start"
    assert H.wait_for(lambda: bool(a.logged(assigned)) and bool(b.logged(assigned)), 60), "both instances own stages"
    # Mid-stream by construction (see the kill test below): the rows the first alerts need go
    # first; the rest flow slowly enough (~13 s) to outlast the stop.
    first = first_rows_with_alerts(rows, want, 5)
    assert first < len(rows) - 5000, "the planted stream alerts early enough to stop mid-stream"
    broker.produce(topics["incidents"], [rows[:first]], rate=2500.0, keep_order=True)
    assert H.wait_for(lambda: alerts_logged(a, b) >= 5, 120), "alerts flow before the stop"
    producer = threading.Thread(target=broker.produce, args=(topics["incidents"], [rows[first:]]),
                                kwargs={"rate": 500.0, "keep_order": True})
    producer.start()
    assert b.terminate() == 0, "the stopped instance leaves cleanly"
    assert producer.is_alive(), "the instance was stopped mid-stream"
    producer.join()
    # The group hands the stopped instance's partitions over in its own time (on the local broker
    # sometimes only after the session timeout); "finished" (commits standing still) is only
    # meaningful once the survivor owns every stage's partitions, else it judges a stalled merge.
    assert H.wait_for(lambda: owns_every_partition(a, topics, stage), 300), "the survivor took every stage's partitions over"
    assert H.wait_for(lambda: finished(broker, group, topics, stage, len(rows)), 300), "the survivor did not finish"
    assert a.terminate() == 0
    assert_same_alerts(published(broker, topics["alerts"]), want)


def test_killed_instance_restarts_and_publishes_what_it_had_not(broker: H.Broker, tmp_path: Path) -> None:
    rows, want = planted_stream(tmp_path)
    topics, stage = tile_topics(broker)
    group = H.unique("tile-group")
    a = daemon(broker, group, topics, stage, tmp_path, "tile-a").start()
    # Mid-stream by construction, however fast the instance runs: the rows its first alerts need
    # go first (the planted episodes are in the stream's last fifth), the rest start flowing just
    # before the kill. A producer of the whole stream could finish before a slow instance had
    # logged its alerts (a CI run, with two fault tests sharing the cores).
    first = first_rows_with_alerts(rows, want, 5)
    assert first < len(rows) - 5000, "the planted stream alerts early enough to kill mid-stream"
    broker.produce(topics["incidents"], [rows[:first]], rate=2500.0, keep_order=True)
    assert H.wait_for(lambda: alerts_logged(a) >= 5, 120), "alerts flow before the kill"
    producer = threading.Thread(target=broker.produce, args=(topics["incidents"], [rows[first:]]),
                                kwargs={"rate": 2500.0, "keep_order": True})
    producer.start()
    a.kill()
    assert producer.is_alive(), "the instance was killed mid-stream"
    a2 = daemon(broker, group, topics, stage, tmp_path, "tile-a2").start()
    producer.join()
    assert H.wait_for(lambda: finished(broker, group, topics, stage, len(rows)), 300), "the restarted instance did not finish"
    assert a2.logged("stage partition rebuilt"), "the restarted instance rebuilt its stages from their topics"
    # Readiness answers for the stages as well (503 "rebuilding stage state" while they re-read):
    # once every stage is live again, the daemon is ready.
    assert H.wait_for(lambda: a2.readyz()[0] == 200, 60), f"ready once every stage is live: {a2.readyz()}"
    assert a2.terminate() == 0
    assert_same_alerts(published(broker, topics["alerts"]), want)


def test_an_input_topic_of_several_partitions_stops_startup_naming_the_key(broker: H.Broker, tmp_path: Path) -> None:
    """The shipped layout on a region-keyed topic (an existing deployment's): exit 78, which the
    systemd unit does not restart, with the key and the fix, before anything is consumed."""
    topics, stage = tile_topics(broker)
    topics["incidents"] = H.unique("tile-in-three")
    broker.create_topics({topics["incidents"]: 3})
    d = daemon(broker, H.unique("tile-group"), topics, stage, tmp_path, "tile-three").start()
    assert d.process is not None
    assert d.process.wait(60) == 78, "a configuration error, not a crash to restart"
    said = d.stdout_path.read_text() + d.stderr_path.read_text()
    assert "scale_out.enabled" in said and "has 3 partitions" in said and "scale_out.enabled = false" in said, said[-2000:]


def test_a_reload_applies_the_main_pipelines_keys_and_refuses_the_stages(broker: H.Broker, tmp_path: Path) -> None:
    """SIGHUP with the shipped layout running: the main pipeline's live keys apply; the scan's
    (which the stages took at startup) are refused by name, and the daemon goes on. The main
    pipeline holds its configuration without the scan, so this compares like with like."""
    topics, stage = tile_topics(broker)
    config = tmp_path / "vigil.toml"
    shipped = H.CONFIG.read_text()
    config.write_text(shipped)
    d = daemon(broker, H.unique("tile-group"), topics, stage, tmp_path, "tile-reload")
    d.config = config
    d.env["VIGIL_MODEL_PATH"] = str(H.ROOT / "Config" / "models" / "near-repeat-xgboost.json")
    d.start()
    assert H.wait_for(lambda: bool(d.logged("partitions assigned")), 60), "the main pipeline is running"

    def reload(text: str, message: str) -> dict[str, Any]:
        before = len(d.logged(message))
        config.write_text(text)
        assert d.process is not None
        d.process.send_signal(signal.SIGHUP)
        assert H.wait_for(lambda: len(d.logged(message)) > before, 30), f"no '{message}' after SIGHUP"
        return d.logged(message)[-1]

    threshold = re.search(r"(?m)^threshold = 4$", shipped)
    assert threshold, "the shipped [rules.count] threshold"
    live = shipped[:threshold.start()] + "threshold = 5" + shipped[threshold.end():]
    applied = reload(live, "reload applied")
    assert applied["config.keys"] == "rules.count.threshold", applied
    refused = reload(live.replace('min_recurrence = "365d"', 'min_recurrence = "730d"'),
                     "reload refused: these settings need a restart; the running configuration stays")
    assert refused["config.keys"] == "alerts.min_recurrence", refused
    assert d.running(), "a refused reload keeps the daemon running"
    assert d.terminate() == 0


def test_a_frozen_broker_stops_nothing_and_loses_nothing(tmp_path: Path) -> None:
    """The shipped layout through a broker stall (SIGSTOP mid-stream, as test_broker_stall.py does
    to the region-keyed layout), longer than librdkafka's default message timeout (30 s): the
    daemon stays up and says it is degraded, the stages deliver what waited in order once the
    broker is back, and the alerts are one engine's, none missing, none invented. A stage may not
    give up on a routed frame or a finding: a later one delivered before it would leave a gap no
    re-read can fill. (Before stages waited out stalls, the first timed-out frame stopped the
    daemon 30 s into the stall.)"""
    rows, want = planted_stream(tmp_path)
    broker = H.Broker.private()
    try:
        topics, stage = tile_topics(broker)
        group = H.unique("tile-group")
        a = daemon(broker, group, topics, stage, tmp_path, "tile-stall").start()
        assert H.wait_for(lambda: a.readyz()[0] == 200, 60), f"ready before the stall: {a.readyz()}"
        producer = threading.Thread(target=broker.produce, args=(topics["incidents"], [rows]),
                                    kwargs={"rate": 2500.0, "keep_order": True})
        producer.start()
        assert H.wait_for(lambda: alerts_logged(a) >= 3, 120), "alerts flow before the stall"
        degraded, during = H.stall(broker, a, STALL_SECONDS)
        assert degraded and "broker" in during[1].lower(), f"/readyz named the broker during the stall: {during}"
        producer.join()
        assert H.wait_for(lambda: finished(broker, group, topics, stage, len(rows)), 300), "the stages did not finish"
        assert a.running(), f"the daemon stayed up through the stall: {a.stderr_path.read_text()[-2000:]}"
        assert H.wait_for(lambda: a.readyz()[0] == 200, 90), f"/readyz recovered after the stall: {a.readyz()}"
        assert a.terminate() == 0
        assert_same_alerts(published(broker, topics["alerts"]), want)
    finally:
        broker.stop()
