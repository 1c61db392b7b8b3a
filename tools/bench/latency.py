#!/usr/bin/env python3
"""Event→alert latency of ``vigil run`` at a fixed rate against the broker's own two-hop floor,
measured in the same run (issue 13: "at 10k events/s the event-to-alert p99 stays within 1.5× the
broker's own two-hop floor").

An alert takes two broker hops: the incident is produced and consumed, then the alert is produced
and consumed. The floor is the same two hops with no work in between:

  relay   a minimal confluent-kafka relay with Vigil's consumer and producer settings
          (fetch.wait.max.ms=10, fetch.queue.backoff.ms=10; acks=all, idempotence, linger.ms=1):
          it takes what is ready (blocking only for the first message) and produces ``{"incident_ids":[id]}`` at once;
  vigil   ``vigil run`` with the shipped config (every rule, the emerging-cluster scan, the model),
          with the alert kinds whose newest cited incident is the one that fired them on
          (high_risk, count_threshold, surge, cluster_emerging, cluster_grew), so that each alert
          is a sample. cluster_ended and the hotspot kinds are fired by the clock moving on, not by
          an incident they cite, so they are left out.

For each party and round, on fresh topics of --partitions partitions: one warm-up incident (the
party is assigned and consuming once it has passed it on), then ``vigil-loadgen`` produces
--events incidents at --rate and its probe records, per output message, the time from handing its
triggering incident (the last id it cites) to the producer until the message arrives: one
monotonic clock (HdrHistogram). Rounds alternate relay and vigil; the report gives per-round
percentiles, their medians, and Vigil's p99 over the floor's p99.

  tools/bench/latency.sh OUT_DIR [--rate 10000 --events 100000 --runs 3 --partitions 4]
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from tools.bench.side_by_side import publish, run_json, shipped_config
from tools.vigil_tools.daemon import VigilDaemon

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
BIN = ROOT / ".build" / "release"
# Alert kinds fired by the arrival of the newest incident they cite.
TRIGGERED_KINDS = "high_risk,count_threshold,surge,cluster_emerging,cluster_grew"

RELAY = r"""
import json, signal, sys
from confluent_kafka import Consumer, Producer
bootstrap, topic, out = sys.argv[1:4]
c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"relay-{topic}", "auto.offset.reset": "earliest",
              "enable.auto.commit": True, "fetch.wait.max.ms": 10, "fetch.queue.backoff.ms": 10,
              "session.timeout.ms": 6000, "heartbeat.interval.ms": 1000})
p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True, "linger.ms": 1})
stop = []
signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
c.subscribe([topic])
n = 0
while not stop:
    first = c.poll(0.05)
    p.poll(0)
    if first is None:
        continue
    # What else is ready, without waiting (a batch consume with a timeout would wait for a full batch).
    for m in [first, *c.consume(num_messages=1000, timeout=0)]:
        if m.error() is None:
            p.produce(out, key=m.key(), value=json.dumps({"incident_ids": [json.loads(m.value())["id"]]},
                                                          separators=(",", ":")))
            n += 1
    p.poll(0)
p.flush(10)
c.close()
print(json.dumps({"relayed": n}), flush=True)
"""


def log(text: str) -> None:
    print(f"latency: {text}", file=sys.stderr, flush=True)


def loadgen(args, topic: str, *extra) -> dict:
    return run_json([args.loadgen, "--bootstrap", args.bootstrap, "--input", args.input, "--topic", topic,
                     *extra], args.timeout)


def create_topic(args, topic: str) -> None:
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    for future in admin.create_topics([NewTopic(topic, num_partitions=args.partitions, replication_factor=1)]).values():
        future.result(30)


def wait_for_output(args, topic: str) -> None:
    """Until the relay has passed the warm-up incident on: it is assigned and consuming."""
    from confluent_kafka import Consumer

    c = Consumer({"bootstrap.servers": args.bootstrap, "group.id": f"warmup-{time.time_ns()}",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.subscribe([topic])
    try:
        deadline = time.perf_counter() + 120
        while time.perf_counter() < deadline:
            m = c.poll(0.2)
            if m is not None and m.error() is None:
                return
        raise RuntimeError(f"nothing arrived on {topic} within 120 s")
    finally:
        c.close()


def one_round(args, party: str, k: int, run_dir: Path) -> dict:
    topic = f"lat-{args.run_id}-{party}-{k}"
    out = f"{topic}.out"
    # The warm-up incident creates the topic with its partitions; the party then subscribes.
    loadgen(args, topic, "--partitions", args.partitions, "--count", 1)
    if party == "relay":
        create_topic(args, out)
        process = subprocess.Popen([PY, "-c", RELAY, args.bootstrap, topic, out], stdout=subprocess.PIPE, text=True)
        stop = process.terminate
    else:
        config = run_dir / f"vigil-{k}.toml"
        group = f"lat-vigil-{time.time_ns()}"
        config.write_text(shipped_config(args.bootstrap, group, topic, args.partitions, out,
                                          args.consumer_property))
        daemon = VigilDaemon(args.vigil, config, run_dir, f"vigil-{k}", env={"VIGIL_ALERTS_KINDS": TRIGGERED_KINDS}).start()
        stop = daemon.stop
    pid = process.pid if party == "relay" else daemon.pid
    try:
        if party == "relay":
            wait_for_output(args, out)
        else:
            wait_for_commit(args, group, topic)
        sched0, children0, t0 = schedstat(pid), resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        result = loadgen(args, topic, "--partitions", 0, "--skip", 1, "--count", args.events, "--rate", args.rate,
                         "--alerts-topic", out, "--linger-ms", 1)
        sched1, children1 = schedstat(pid), resource.getrusage(resource.RUSAGE_CHILDREN)
        result.update(cpu_share(sched0, sched1, time.perf_counter() - t0))
        result["loadgen_cpu_s"] = round(children1.ru_utime + children1.ru_stime
                                        - children0.ru_utime - children0.ru_stime, 2)
    finally:
        stop()
        if party == "relay":
            process.wait(timeout=30)
    result["party"] = party
    return result


def wait_for_commit(args, group: str, topic: str) -> None:
    """Until vigil has committed the warm-up incident (one incident fires no alert to wait for)."""
    from tools.bench.bench_e2e import committed

    deadline = time.perf_counter() + 120
    while committed(args.bootstrap, group, topic, args.partitions) < 1:
        if time.perf_counter() > deadline:
            raise RuntimeError("vigil did not start consuming within 120 s")
        time.sleep(0.1)


def schedstat(pid: int) -> tuple[int, int]:
    """The process's time on a CPU and its time runnable but waiting for one (run-queue wait), in
    nanoseconds, summed over its threads (/proc/PID/task/*/schedstat)."""
    run = wait = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "schedstat").read_text().split()
        except OSError:
            continue  # the thread ended meanwhile
        run, wait = run + int(fields[0]), wait + int(fields[1])
    return run, wait


def cpu_share(before: tuple[int, int], after: tuple[int, int], seconds: float) -> dict:
    """The party's CPU use over the round (the load generator's run, probe drain included): seconds
    on a CPU and seconds runnable but waiting for one. A party that falls behind while it mostly
    waits for a CPU is starved by what shares the cores, not slow."""
    run, wait = (after[0] - before[0]) / 1e9, (after[1] - before[1]) / 1e9
    return {"party_cpu_s": round(run, 2), "party_runqueue_wait_s": round(wait, 2), "round_s": round(seconds, 2)}


KEYS = ("latency_p50_ms", "latency_p90_ms", "latency_p99_ms", "latency_max_ms")


CPU_KEYS = ("party_cpu_s", "party_runqueue_wait_s", "loadgen_cpu_s", "round_s")


def summarize(rows: list[dict]) -> dict:
    out = {k: round(statistics.median(r[k] for r in rows), 1) for k in (*KEYS, *CPU_KEYS) if all(k in r for r in rows)}
    out["samples"] = [r.get("alerts_attributed", 0) for r in rows]
    out["runs"] = rows
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", required=True, help="canonical incident NDJSON (tools/replay_incidents.py --to-file)")
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--rate", type=int, default=10_000, help="incidents per second")
    parser.add_argument("--events", type=int, default=100_000, help="incidents per round")
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--vigil", default=str(BIN / "vigil"))
    parser.add_argument("--loadgen", default=str(BIN / "vigil-loadgen"), help="the vigil-loadgen binary to pace and probe with")
    parser.add_argument("--consumer-property", action="append", default=[], metavar="KEY=VALUE",
                        help="an extra librdkafka consumer property for vigil (repeatable)")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--output", required=True, help="folder for configs, logs and latency.json")
    args = parser.parse_args(argv)
    args.run_id = str(int(time.time()))
    run_dir = Path(args.output)
    run_dir.mkdir(parents=True, exist_ok=True)
    rows: dict[str, list[dict]] = {"relay": [], "vigil": []}
    for k in range(args.runs):
        for party in rows:
            rows[party].append(one_round(args, party, k, run_dir))
            log(f"round {k + 1} {party}: " + json.dumps({key: rows[party][-1].get(key) for key in
                                                           ("alerts_attributed", *KEYS, *CPU_KEYS)}))
    report = {"rate": args.rate, "events": args.events, "partitions": args.partitions, "runs": args.runs,
              "two_hop_floor": summarize(rows["relay"]), "vigil": summarize(rows["vigil"])}
    floor, vigil = report["two_hop_floor"].get("latency_p99_ms"), report["vigil"].get("latency_p99_ms")
    if floor and vigil:
        report["vigil_p99_over_floor_p99"] = round(vigil / floor, 2)
    publish(report, run_dir / "latency.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
