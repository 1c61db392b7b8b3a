#!/usr/bin/env python3
"""End-to-end benchmark against the local broker, every party in the same run.

Phase 1, throughput over one preloaded topic (1 partition, the real Toronto incidents):
  produce them all at maximum rate (vigil-loadgen), then, interleaved for --runs rounds, each with
  a fresh consumer group: the bare librdkafka consume loop (vigil-bench consume, the ceiling),
  the daemon (vigil run, release; throughput from its committed offsets, auto-committed every
  100 ms), and the Python reference pipeline (tools/bench/python_pipeline.py) without a model;
  once, the Python pipeline with per-event scoring on the first --python-model-events messages.
  The daemon's RSS is read when it has consumed everything (its state then holds the last 28+
  days, as in production).
Phase 2, latency: fresh topics, the daemon already consuming; vigil-loadgen produces at each
  --rates value (0 = maximum) and its probe records event→alert latency (HdrHistogram).

Prints one JSON document (also written to --output) that docs/PERFORMANCE.md quotes.

  tools/bench/bench_e2e.py --input /tmp/all.ndjson            # starts its own broker
  tools/bench/bench_e2e.py --input /tmp/all.ndjson --bootstrap 127.0.0.1:9092 --runs 3
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tools.vigil_tools.daemon import VigilDaemon
from tools.vigil_tools.procfs import cpu_seconds, memory_mb

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".build" / "release"
PY = sys.executable


def log(text: str) -> None:
    print(f"bench_e2e: {text}", file=sys.stderr, flush=True)


def run_json(cmd: list[str], timeout: float) -> dict:
    log(" ".join(str(c) for c in cmd))
    out = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"{cmd[0]} failed ({out.returncode}): {out.stderr[-2000:]}")
    return json.loads(lines[-1])


def committed(bootstrap: str, group: str, topic: str, partitions: int) -> int:
    with CommittedProbe(bootstrap, group, topic, partitions) as probe:
        return probe()


class CommittedProbe:
    """The group's committed offsets on TOPIC, summed, asked through one client kept open.

    A throughput run samples them every 50 ms while the daemon works. A fresh client per sample
    (connect, version handshake, coordinator lookup, close) cost ~1.8 ms of CPU here and as much
    again in the broker, every ~65 ms: a few per cent of a 2-core box taken from the daemon being
    measured, which the Python consumers (timed from inside) never paid."""

    def __init__(self, bootstrap: str, group: str, topic: str, partitions: int):
        from confluent_kafka import Consumer, TopicPartition

        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
        self.partitions = [TopicPartition(topic, p) for p in range(partitions)]

    def __call__(self) -> int:
        offsets = self.consumer.committed(self.partitions, timeout=5)
        return sum(max(0, tp.offset) for tp in offsets)

    def close(self) -> None:
        self.consumer.close()

    def __enter__(self) -> CommittedProbe:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Daemon(VigilDaemon):
    """`vigil run` with a fresh group, its own config file, stdout (alert lines) to a file."""

    def __init__(self, bootstrap: str, run_dir: Path, name: str, incidents: str, alerts: str, partitions: int,
                 consumer: dict | None = None, count_threshold: int | None = None, max_batch: int | None = None):
        self.group = f"bench-{name}-{time.time_ns()}"
        self.incidents, self.partitions = incidents, partitions
        config = run_dir / f"{name}.toml"
        config.write_text(f"""
[kafka]
bootstrap_servers = "{bootstrap}"
group_id = "{self.group}"
client_id = "vigil-bench"
create_topics = true
topic_partitions = {partitions}
[kafka.consumer]
"auto.commit.interval.ms" = "100"
{"".join(f'"{k}" = "{v}"' + chr(10) for k, v in (consumer or {}).items())}
{"[rules.count]" + chr(10) + f"threshold = {count_threshold}" if count_threshold else ""}
{"[pipeline]" + chr(10) + f"max_batch = {max_batch}" if max_batch else ""}
[topics]
incidents = "{incidents}"
alerts = "{alerts}"
dead_letter = "{incidents}.dlq"
late = "{incidents}.dlq"
[log]
level = "warning"
""")
        super().__init__(BIN / "vigil", config, run_dir, name)
        self.start()

    def committed(self, bootstrap: str) -> int:
        return committed(bootstrap, self.group, self.incidents, self.partitions)


def until_committed(daemon: VigilDaemon, committed_now: Callable[[], int], n: int,
                    timeout: float) -> tuple[list[tuple[float, int, float]], dict]:
    """Samples (time, messages committed, the daemon's CPU seconds) every 50 ms until `n` are committed
    or `timeout` s have passed; with the daemon's memory at the end. Raises when the daemon exits first."""
    samples = []
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        c = committed_now()
        samples.append((time.perf_counter(), c, cpu_seconds(daemon.pid)))
        if c >= n:
            break
        if not daemon.running():
            raise RuntimeError(f"vigil run exited {daemon.process.returncode}: {daemon.stderr_text()[-2000:]}")
        time.sleep(0.05)
    return samples, memory_mb(daemon.pid)


def daemon_throughput(args, run_dir: Path, topic: str, n: int, k: int) -> dict:
    """Messages/s between the first and the last change of the daemon's committed offsets."""
    d = Daemon(args.bootstrap, run_dir, f"throughput-{k}", topic, f"{topic}.alerts-{k}", 1)
    try:
        with CommittedProbe(args.bootstrap, d.group, d.incidents, d.partitions) as probe:
            samples, memory = until_committed(d, probe, n, args.timeout)
    finally:
        d.stop()
    moving = [(t, c) for t, c, _ in samples if c > 0]
    if len(moving) < 2 or moving[-1][1] < n:
        raise RuntimeError(f"daemon did not finish: {samples[-3:]}")
    (t0, c0), (t1, c1) = moving[0], moving[-1]
    return {"messages": c1, "messages_per_s": round((c1 - c0) / (t1 - t0)), "from_start_seconds": round(t1 - d.started, 3),
            "first_commit_after_s": round(t0 - d.started, 3), **memory}


def latency(args, run_dir: Path, rate: int, k: int, consumer: dict, count_threshold: int | None, max_batch: int | None) -> dict:
    topic = f"bench-{args.run_id}-lat{k}"
    d = Daemon(args.bootstrap, run_dir, f"latency-{k}", topic, f"{topic}.alerts", 1, consumer, count_threshold, max_batch)
    try:
        # One warm-up incident; once the daemon has committed it, it is assigned and processing.
        run_json([BIN / "vigil-loadgen", "--bootstrap", args.bootstrap, "--input", args.input, "--topic", topic,
                  "--partitions", "0", "--count", "1"], 120)
        deadline = time.perf_counter() + 60
        while d.committed(args.bootstrap) < 1:
            if time.perf_counter() > deadline:
                raise RuntimeError("daemon did not start consuming")
            time.sleep(0.1)
        result = run_json([BIN / "vigil-loadgen", "--bootstrap", args.bootstrap, "--input", args.input, "--topic", topic,
                           "--partitions", "0", "--skip", "1", "--count", str(args.latency_events), "--rate", str(rate),
                           "--alerts-topic", f"{topic}.alerts", "--linger-ms", str(args.linger_ms)], args.timeout)
        result["daemon_rss"] = memory_mb(d.pid)
        result["daemon_consumer_settings"] = consumer
        result["count_threshold"] = count_threshold or 4
        result["max_batch"] = max_batch or 1000
        return result
    finally:
        d.stop()


def summarize(values: list[float]) -> dict:
    return {"median": round(statistics.median(values)), "min": round(min(values)), "max": round(max(values)), "runs": values}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", required=True, help="canonical incident NDJSON (tools/replay_incidents.py --to-file)")
    parser.add_argument("--bootstrap", help="broker (default: start one with tools/broker.sh)")
    parser.add_argument("--runs", type=int, default=3, help="throughput rounds (ceiling, daemon, python each)")
    parser.add_argument("--rates", default="10000,0", help="latency phase produce rates (0 = maximum)")
    parser.add_argument("--latency-events", type=int, default=200_000)
    parser.add_argument("--latency-consumer", action="append", default=[], metavar="KEY=VALUE",
                        help="extra daemon [kafka.consumer] setting for a second pass of the latency phase "
                             "(e.g. fetch.wait.max.ms=1); repeatable")
    parser.add_argument("--latency-max-batch", type=int,
                        help="pipeline.max_batch for the tuned pass (librdkafka's batch consume waits for a full batch "
                             "or the poll timeout, so the default 1000 holds events back at low rates)")
    parser.add_argument("--latency-count-threshold", type=int,
                        help="also run the latency phase with this count-rule threshold (more alerts = more samples)")
    parser.add_argument("--python-model-events", type=int, default=20_000)
    parser.add_argument("--linger-ms", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--output", default=str(ROOT / ".run" / "bench_e2e.json"))
    args = parser.parse_args(argv)
    args.run_id = str(int(time.time()))
    run_dir = ROOT / ".run" / f"bench-{args.run_id}"
    run_dir.mkdir(parents=True, exist_ok=True)
    for b in ("vigil", "vigil-bench", "vigil-loadgen"):
        if not (BIN / b).exists():
            parser.error(f"{BIN / b} missing: swift build -c release --product {b}")
    started_broker = False
    if not args.bootstrap:
        env = subprocess.run([str(ROOT / "tools" / "broker.sh"), "start"], capture_output=True, text=True, check=True).stdout
        args.bootstrap = env.strip().split("=", 1)[1]
        started_broker = True
    n = sum(1 for line in open(args.input, "rb") if line.strip())
    report: dict = {"input": args.input, "messages": n, "bootstrap": args.bootstrap, "cores": os.cpu_count(),
                    "runs": args.runs}
    try:
        topic = f"bench-{args.run_id}-incidents"
        report["produce_max"] = run_json([BIN / "vigil-loadgen", "--bootstrap", args.bootstrap, "--input", args.input,
                                          "--topic", topic, "--partitions", "1"], args.timeout)
        ceiling, daemon, python = [], [], []
        for k in range(args.runs):
            ceiling.append(run_json([BIN / "vigil-bench", "consume", "--bootstrap", args.bootstrap, "--topic", topic,
                                     "--expect", str(n)], args.timeout))
            log(f"ceiling {ceiling[-1]['messages_per_s']} msg/s")
            daemon.append(daemon_throughput(args, run_dir, topic, n, k))
            log(f"daemon {daemon[-1]}")
            python.append(run_json([PY, ROOT / "tools" / "bench" / "python_pipeline.py", "--bootstrap", args.bootstrap,
                                    "--topic", topic, "--alerts-topic", f"{topic}.py-alerts-{k}", "--expect", str(n),
                                    "--no-model"], args.timeout))
            log(f"python {python[-1]['messages_per_s']} msg/s")
        python_model = run_json([PY, ROOT / "tools" / "bench" / "python_pipeline.py", "--bootstrap", args.bootstrap,
                                 "--topic", topic, "--alerts-topic", f"{topic}.py-alerts-model", "--expect",
                                 str(args.python_model_events)], args.timeout)
        c = summarize([r["messages_per_s"] for r in ceiling])
        d = summarize([r["messages_per_s"] for r in daemon])
        p = summarize([r["messages_per_s"] for r in python])
        report["throughput"] = {
            "bare_consume": c, "daemon": d, "python_no_model": p, "python_with_model": python_model,
            "daemon_over_ceiling": round(d["median"] / c["median"], 3),
            "daemon_over_python_no_model": round(d["median"] / p["median"], 1),
            "daemon_over_python_with_model": round(d["median"] / python_model["messages_per_s"], 1),
            "daemon_rss_after_all": [{k: r[k] for k in ("vmrss_mb", "vmhwm_mb")} for r in daemon],
            "details": {"bare_consume": ceiling, "daemon": daemon, "python": python},
        }
        # The floor: the same producer and probe over the broker alone (no daemon in between).
        floor_topic = f"bench-{args.run_id}-floor"
        report["broker_floor_latency"] = run_json(
            [BIN / "vigil-loadgen", "--bootstrap", args.bootstrap, "--input", args.input, "--topic", floor_topic,
             "--partitions", "1", "--count", str(min(args.latency_events, 100_000)), "--rate", "10000", "--probe-incidents",
             "--linger-ms", str(args.linger_ms)], args.timeout)
        log(f"broker floor: {report['broker_floor_latency']}")
        report["latency"] = []
        tuned = dict(kv.split("=", 1) for kv in args.latency_consumer)
        variants = [({}, None, None)] + ([(tuned, None, args.latency_max_batch)] if tuned or args.latency_max_batch else [])
        if args.latency_count_threshold:
            variants.append((tuned, args.latency_count_threshold, args.latency_max_batch))
        k = 0
        for consumer, threshold, max_batch in variants:
            for rate in (int(r) for r in args.rates.split(",")):
                report["latency"].append(latency(args, run_dir, rate, k, consumer, threshold, max_batch))
                log(f"latency at {rate or 'max'} {consumer} threshold {threshold}: {report['latency'][-1]}")
                k += 1
    finally:
        if started_broker:
            subprocess.run([str(ROOT / "tools" / "broker.sh"), "stop"], check=False)
    text = json.dumps(report, indent=2)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
