#!/usr/bin/env python3
"""Issue 13's side-by-side table: bare librdkafka loop, the tuned Python consumer and Vigil, same
broker, same topic, interleaved rounds, medians, CPU µs per message and peak RSS.

The stream: the real Toronto incidents repeated --copies times (copies shifted back by multiples of
418 weeks, the last one real, so none is ahead of the server clock; re-identified), in event-time order, on a topic of --partitions partitions keyed by 2 km region
(so each partition is a time-ordered stream of a set of places, as a production topic would be).

Parties (each with a fresh consumer group, reading the whole topic):
  bare    confluent-kafka ``consume(10000)`` loop that counts messages (the ceiling);
  python  tools/bench/tuned_pipeline.py (orjson, window counts over own cell and 3×3 block,
          one XGBoost inplace_predict per poll batch, count and high-risk rules, alerts produced);
  vigil   ``vigil run`` with the shipped rules and model (Config/vigil.toml's engine sections),
          throughput from its committed offsets (auto-committed every 100 ms).

CPU µs per message: user + system CPU of the party's process over its measured interval, divided by
messages. Peak RSS: VmHWM (vigil) or ru_maxrss (Python parties).

  tools/bench/side_by_side.sh OUT_DIR      # builds, makes the stream, starts a broker, runs this
  side_by_side.py --bootstrap HOST:PORT --input all.ndjson --copies 9 --partitions 4 --runs 3
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from tools.bench.bench_e2e import CommittedProbe, until_committed
from tools.vigil_tools.daemon import VigilDaemon

ROOT = Path(__file__).resolve().parents[2]

PY = sys.executable
WEEK_MS = 7 * 86_400_000


def log(text: str) -> None:
    print(f"side_by_side: {text}", file=sys.stderr, flush=True)


def stream_file(source: str, out: Path, copies: int) -> Path:
    """The side-by-side stream of `copies` copies in `out`, written from `source` when missing."""
    stream = out / f"stream-back-{copies}.ndjson"
    if not stream.exists():
        log(f"writing {stream}")
        make_stream(source, stream, copies)
    return stream


def make_stream(source: str, out: Path, copies: int) -> int:
    """Writes the incidents `copies` times, sorted by event time: copy k shifted back by
    (copies − 1 − k) × 418 weeks, so the last copy is the real one and no copy lies in the future.
    (Shifted forward, every copy after 2026 would be ahead of the server clock: Vigil dead-letters
    those as `future_event_time` instead of processing them, which measures the wrong thing.)"""
    import orjson

    rows = []
    for line in open(source, "rb"):
        if line.strip():
            o = orjson.loads(line)
            rows.append((datetime.fromisoformat(o["event_time"]), o))
    rows.sort(key=lambda r: (r[0], r[1]["id"]))
    with open(out, "wb") as f:
        for k in range(copies):
            shift = timedelta(weeks=-418 * (copies - 1 - k))
            for t, o in rows:
                o2 = dict(o, id=f"{o['id']}-c{k}", event_time=(t + shift).isoformat())
                f.write(orjson.dumps(o2) + b"\n")
    return len(rows) * copies


def produce(bootstrap: str, path: Path, topic: str, partitions: int) -> dict:
    """Produces every line, keyed by its 2 km region, on a topic with `partitions` partitions."""
    import orjson
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, partitions, 1)])[topic].result(30)
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "batch.num.messages": 10000,
                  "queue.buffering.max.messages": 1_000_000, "compression.type": "none"})
    n, start = 0, time.perf_counter()
    for line in open(path, "rb"):
        line = line.rstrip(b"\n")
        if not line:
            continue
        o = orjson.loads(line)
        region = region_key(o)
        partition = hash_key(region) % partitions
        while True:
            try:
                p.produce(topic, line, key=region.encode(), partition=partition)
                break
            except BufferError:
                p.poll(0.05)
        n += 1
        if n % 10000 == 0:
            p.poll(0)
    p.flush(120)
    seconds = time.perf_counter() - start
    return {"messages": n, "seconds": round(seconds, 1), "messages_per_s": round(n / seconds)}


def region_key(incident: dict) -> str:
    """The incident's 2 km region, the bench topic's message key (x, y at ~43.7° N)."""
    m_lat = 6_371_008.8 * math.pi / 180
    return f"{math.floor(incident['lat'] * m_lat / 2000)}:{math.floor(incident['lon'] * m_lat * 0.72 / 2000)}"


def hash_key(text: str) -> int:
    """FNV-1a 32 (stable across runs, unlike Python's hash)."""
    h = 0x811C9DC5
    for b in text.encode():
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def run_json(cmd: list, timeout: float) -> dict:
    out = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"{cmd[:2]} failed ({out.returncode}): {out.stderr[-2000:]}")
    return json.loads(lines[-1])


BARE = r"""
import json, resource, sys, time
from confluent_kafka import Consumer
bootstrap, topic, expect = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bare-{time.time_ns()}", "auto.offset.reset": "earliest",
              "enable.auto.commit": False, "session.timeout.ms": 6000, "heartbeat.interval.ms": 1000})
c.subscribe([topic])
n, first, last, cpu0 = 0, None, time.perf_counter(), 0.0
while n < expect:
    msgs = c.consume(num_messages=10000, timeout=0.1)
    now = time.perf_counter()
    if not msgs:
        if now - last > 20: break
        continue
    if first is None:
        first = now
        r = resource.getrusage(resource.RUSAGE_SELF); cpu0 = r.ru_utime + r.ru_stime
    n += sum(1 for m in msgs if m.error() is None)
    last = time.perf_counter()
r = resource.getrusage(resource.RUSAGE_SELF)
c.close()
s = max(last - first, 1e-9)
print(json.dumps({"messages": n, "seconds": round(s, 3), "messages_per_s": round(n / s),
                  "cpu_us_per_message": round((r.ru_utime + r.ru_stime - cpu0) / max(n, 1) * 1e6, 2),
                  "peak_rss_mb": round(r.ru_maxrss / 1024, 1)}))
"""


def shipped_config(bootstrap: str, group: str, topic: str, partitions: int, alerts: str,
                   consumer: list[str] | tuple = (), bbox: str | None = None) -> str:
    """Config/vigil.toml's engine sections (rules, windows, hotspots, clusters, model) with Kafka
    pointed at the bench broker, on the bench's topics, in the region-keyed layout: the bench's
    topic has several partitions keyed by region and each partition's engine runs every rule
    (`[scale_out] enabled = false`; the shipped tile layout needs one input partition and is
    measured by tools/bench/tile_throughput.py). CONSUMER holds extra librdkafka consumer
    properties as KEY=VALUE; BBOX ("south,west,north,east") replaces the grid's bounding box."""
    engine = (ROOT / "Config" / "vigil.toml").read_text()
    keep, skip, section = [], False, ""
    for line in engine.splitlines():
        if line.startswith("["):
            section = line.split("]")[0].strip("[")
            skip = section.split(".")[0] in ("kafka", "topics", "log", "admin")
        if skip:
            continue
        if bbox and line.startswith("bbox = "):
            line = f"bbox = [{bbox}]"
        if section == "scale_out" and line.startswith("enabled = "):
            line = "enabled = false"
        keep.append(line)
    model = (ROOT / "Config" / "models" / "near-repeat-xgboost.json").resolve()
    text = "\n".join(keep).replace('path = "models/near-repeat-xgboost.json"', f'path = "{model}"')
    extra = "\n".join(f'"{kv.split("=", 1)[0]}" = "{kv.split("=", 1)[1]}"' for kv in consumer)
    return text + f"""
[kafka]
bootstrap_servers = "{bootstrap}"
group_id = "{group}"
client_id = "vigil-bench"
topic_partitions = {partitions}
[kafka.consumer]
"auto.commit.interval.ms" = "100"
{extra}
[topics]
incidents = "{topic}"
alerts = "{alerts}"
dead_letter = "{topic}.dlq"
late = "{topic}.late"
[log]
level = "warning"
[admin]
listen = ""
"""


def vigil(args, run_dir: Path, topic: str, n: int, k: int, binary: str | None = None, name: str = "vigil",
          threads: int | None = None) -> dict:
    group = f"sbs-{name}-{time.time_ns()}"
    config = run_dir / f"{name}-{k}.toml"
    config.write_text(shipped_config(args.bootstrap, group, topic, args.partitions, f"{topic}.{name}-alerts-{k}",
                                     args.vigil_consumer, args.vigil_bbox))
    env = dict(kv.split("=", 1) for kv in args.vigil_env)
    if threads is not None:
        env["VIGIL_PIPELINE_WORKER_THREADS"] = str(threads)
    daemon = VigilDaemon(binary or args.vigil, config, run_dir, f"{name}-{k}", env=env).start()
    try:
        with CommittedProbe(args.bootstrap, group, topic, args.partitions) as probe:
            samples, memory = until_committed(daemon, probe, n, args.timeout)
    finally:
        daemon.stop()
    first = next((i for i, s in enumerate(samples) if s[1] > 0), None)
    if first is None or samples[-1][1] < n:
        raise RuntimeError(f"vigil did not finish: {samples[-3:]}")
    # From the first commit (or, when everything fitted between two samples, the sample before it).
    start = first if len(samples) - first >= 2 else max(0, first - 1)
    (t0, c0, cpu0), (t1, c1, cpu1) = samples[start], samples[-1]
    return {"messages": c1, "seconds": round(t1 - t0, 3), "messages_per_s": round((c1 - c0) / (t1 - t0)),
            "cpu_us_per_message": round((cpu1 - cpu0) / max(1, c1 - c0) * 1e6, 2), "peak_rss_mb": memory.get("vmhwm_mb"),
            "rss_mb": memory.get("vmrss_mb")}


def alert_digest(bootstrap: str, topic: str, timeout: float = 60) -> dict:
    """What a Vigil party published on TOPIC, as a count and a sha256 of the sorted alert JSON
    with `detected_at` (wall clock) removed: equal digests mean the same alerts, byte for byte,
    whatever the order the partitions' outputs interleaved in."""
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"digest-{time.time_ns()}", "enable.auto.commit": False,
                  "auto.offset.reset": "earliest"})
    try:
        meta = c.list_topics(topic, timeout=10).topics.get(topic)
        if meta is None or meta.error is not None:
            return {"alerts": 0, "sha256": hashlib.sha256(b"").hexdigest()}
        c.assign([TopicPartition(topic, p, 0) for p in meta.partitions])
        # Until 3 s pass with nothing new (the broker's high watermark is not trusted), at most TIMEOUT.
        values, start = [], time.monotonic()
        idle = start
        while time.monotonic() - idle < 3 and time.monotonic() - start < timeout:
            msgs = c.consume(num_messages=10000, timeout=0.5)
            for m in msgs:
                if m.error() is None and m.value():
                    alert = json.loads(m.value())
                    alert.pop("detected_at", None)
                    values.append(json.dumps(alert, sort_keys=True, separators=(",", ":")))
            if msgs:
                idle = time.monotonic()
    finally:
        c.close()
    values.sort()
    return {"alerts": len(values), "sha256": hashlib.sha256("\n".join(values).encode()).hexdigest()}


def summarize(rows: list[dict]) -> dict:
    def med(key):
        values = [r[key] for r in rows if r.get(key) is not None]
        return {"median": statistics.median(values), "min": min(values), "max": max(values)} if values else None
    return {"messages_per_s": med("messages_per_s"), "cpu_us_per_message": med("cpu_us_per_message"),
            "peak_rss_mb": med("peak_rss_mb"), "runs": rows}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", required=True, help="canonical incident NDJSON (tools/replay_incidents.py --to-file)")
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--copies", type=int, default=9)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--parties", default="bare,python,vigil",
                        help="comma-separated: bare, python, vigil (the config's worker threads), vigilN "
                        "(vigil with pipeline.worker_threads = N), base (--vigil-base)")
    parser.add_argument("--vigil", default=str(ROOT / ".build" / "release" / "vigil"))
    parser.add_argument("--vigil-base", help="another vigil binary (e.g. main before a change), run as party "
                        "'base' interleaved with 'vigil' for a same-run A/B")
    parser.add_argument("--vigil-consumer", action="append", default=[], metavar="KEY=VALUE",
                        help="an extra librdkafka consumer property for vigil's config; repeatable")
    parser.add_argument("--vigil-env", action="append", default=[], metavar="KEY=VALUE",
                        help="an extra environment variable for vigil only (e.g. MALLOC_ARENA_MAX=2); repeatable")
    parser.add_argument("--vigil-bbox", metavar="S,W,N,E", help="vigil's grid bounding box instead of the shipped one "
                        "(e.g. all of Canada: 41.68,-141.01,83.11,-52.62)")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--output", required=True, help="folder for the stream, the model, configs and results")
    args = parser.parse_args(argv)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    stream = stream_file(args.input, out, args.copies)
    n = sum(1 for line in open(stream, "rb") if line.strip())
    model = out / "py-model.json"
    if "python" in args.parties.split(",") and not model.exists():
        log("training the Python consumer's model (150 trees, depth 6, 13 features)")
        run_json([PY, ROOT / "tools" / "bench" / "tuned_pipeline.py", "--input", stream, "--train-model", model], args.timeout)
    topic = f"sbs-{int(time.time())}"
    log(f"producing {n} messages to {topic} ({args.partitions} partitions)")
    report = {"messages": n, "copies": args.copies, "partitions": args.partitions, "cores": os.cpu_count(),
              "produce": produce(args.bootstrap, stream, topic, args.partitions)}
    results: dict = {p: [] for p in args.parties.split(",")}
    for k in range(args.runs):
        for party in results:
            if party == "bare":
                r = run_json([PY, "-c", BARE, args.bootstrap, topic, n], args.timeout)
            elif party == "python":
                r = run_json([PY, ROOT / "tools" / "bench" / "tuned_pipeline.py", "--bootstrap", args.bootstrap, "--topic", topic,
                              "--alerts-topic", f"{topic}.py-alerts-{k}", "--expect", n, "--model", model], args.timeout)
            elif party == "base":
                r = vigil(args, out, topic, n, k, args.vigil_base, "base")
            elif party.startswith("vigil") and party[5:].isdigit():
                r = vigil(args, out, topic, n, k, name=party, threads=int(party[5:]))
            elif party == "vigil":
                r = vigil(args, out, topic, n, k)
            else:
                raise SystemExit(f"unknown party {party!r}")
            if party == "base" or party.startswith("vigil"):
                r.update(alert_digest(args.bootstrap, f"{topic}.{party}-alerts-{k}"))
            log(f"round {k + 1} {party}: {r}")
            results[party].append(r)
    report["parties"] = {p: summarize(rows) for p, rows in results.items()}
    digests = {r["sha256"] for p, rows in results.items() for r in rows if "sha256" in r}
    if digests:
        # Every Vigil party and round (base, any thread count) published the same alerts.
        report["vigil_alerts_identical"] = len(digests) == 1
    if "vigil" in results and "python" in results:
        report["vigil_over_python"] = round(report["parties"]["vigil"]["messages_per_s"]["median"]
                                            / report["parties"]["python"]["messages_per_s"]["median"], 2)
    if "vigil" in results and "bare" in results:
        report["vigil_over_bare"] = round(report["parties"]["vigil"]["messages_per_s"]["median"]
                                          / report["parties"]["bare"]["messages_per_s"]["median"], 3)
    if "vigil" in results and "base" in results:
        report["vigil_over_base"] = round(report["parties"]["vigil"]["messages_per_s"]["median"]
                                          / report["parties"]["base"]["messages_per_s"]["median"], 3)
    if "vigil1" in results and "vigil2" in results:
        one, two = (report["parties"][p] for p in ("vigil1", "vigil2"))
        report["vigil2_over_vigil1"] = round(two["messages_per_s"]["median"] / one["messages_per_s"]["median"], 3)
        report["vigil2_over_vigil1_by_round"] = [round(b["messages_per_s"] / a["messages_per_s"], 3)
                                                 for a, b in zip(one["runs"], two["runs"])]
    publish(report, out / "side_by_side.json")
    return 0


def publish(report: dict, path: Path) -> None:
    """The report as indented JSON, to PATH and to stdout (the last JSON line is what callers read)."""
    text = json.dumps(report, indent=2)
    path.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    sys.exit(main())
