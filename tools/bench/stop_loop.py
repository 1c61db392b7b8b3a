"""Issue 13, both cores: does `vigil run` with worker threads stop cleanly, every time, mid-stream?

Runs `vigil run` N times on the side-by-side stream (the real Toronto incidents, --copies times,
4 partitions), each with a fresh consumer group, and stops each by SIGTERM after a random 4–20 s,
while it is still working through the stream. For every run it checks:

  exit     the exit status is 0 (an abort at exit, e.g. glibc's "double free or corruption",
           is a signal: status < 0), and stderr has no glibc/Swift runtime error;
  lost     every input below the offsets the run committed has its output: the scored topic
           (one message per accepted incident, by incident id), the late topic or the dead-letter
           topic (by vigil.source.partition/offset headers). At-least-once means a committed
           offset may never run ahead of what was published and acknowledged;
  twice    no input has two outputs (one run, no restart: nothing is read twice).

Outputs above the committed offsets are allowed (processed, not yet committed at the stop: they
would be read again by the next run, which is what at-least-once means).

  tools/bench/stop_loop.sh OUT --runs 30 --threads 2 --copies 9
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path

from tools.bench.side_by_side import ROOT, produce, shipped_config, stream_file
from tools.vigil_tools.daemon import VigilDaemon

FATAL = re.compile(r"double free|corrupted|malloc\(\)|free\(\)|Fatal error|Segmentation|Illegal instruction|"
                   r"Aborted|ThreadSanitizer|AddressSanitizer")


def log(text: str) -> None:
    print(f"stop_loop: {text}", file=sys.stderr, flush=True)


def read_all(bootstrap: str, topic: str, partitions: int | None = None):
    """Every message of TOPIC up to its high watermarks when called."""
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"stop-loop-reader-{time.time_ns()}",
                  "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    try:
        meta = c.list_topics(topic, timeout=10).topics.get(topic)
        if meta is None or meta.error is not None:
            return []
        ends = {}
        for p in meta.partitions:
            low, high = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            if high > low:
                ends[p] = high
        if not ends:
            return []
        c.assign([TopicPartition(topic, p, 0) for p in ends])
        out, done = [], set()
        deadline = time.time() + 300
        while len(done) < len(ends) and time.time() < deadline:
            for m in c.consume(10000, 1.0):
                if m.error():
                    continue
                out.append(m)
                if m.offset() + 1 >= ends[m.partition()]:
                    done.add(m.partition())
        return out
    finally:
        c.close()


def committed_offsets(bootstrap: str, group: str, topic: str, partitions: int) -> dict[int, int]:
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        return {tp.partition: max(0, tp.offset)
                for tp in c.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)}
    finally:
        c.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", required=True, help="canonical incident NDJSON (tools/replay_incidents.py --to-file)")
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--copies", type=int, default=9)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--threads", type=int, default=2, help="pipeline.worker_threads of every run")
    parser.add_argument("--min-seconds", type=float, default=4)
    parser.add_argument("--max-seconds", type=float, default=20)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--vigil", default=str(ROOT / ".build" / "release" / "vigil"))
    parser.add_argument("--output", required=True)
    args = parser.parse_args(argv)
    import orjson

    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    stream = stream_file(args.input, out, args.copies)
    topic = f"stop-{int(time.time())}"
    log(f"producing {stream} to {topic}")
    produced = produce(args.bootstrap, stream, topic, args.partitions)
    log(f"produced {produced}; reading it back for the offset -> incident id map")
    where: dict[str, tuple[int, int]] = {}
    for m in read_all(args.bootstrap, topic):
        where[orjson.loads(m.value())["id"]] = (m.partition(), m.offset())
    log(f"{len(where)} inputs mapped")
    rng = random.Random(args.seed)
    rows, failures = [], 0
    for k in range(args.runs):
        group = f"stop-{k}-{time.time_ns()}"
        scored, late, dlq = f"{topic}.scored-{k}", f"{topic}.late-{k}", f"{topic}.dlq-{k}"
        text = shipped_config(args.bootstrap, group, topic, args.partitions, f"{topic}.alerts-{k}")
        text = (text.replace(f'dead_letter = "{topic}.dlq"', f'dead_letter = "{dlq}"')
                .replace(f'late = "{topic}.late"', f'late = "{late}"\nscored = "{scored}"')
                .replace('level = "warning"', 'level = "info"'))  # the "consuming" and "stopped" lines
        config = out / f"stop-{k}.toml"
        config.write_text(text)
        daemon = VigilDaemon(args.vigil, config, out, f"stop-{k}",
                             env={"VIGIL_PIPELINE_WORKER_THREADS": str(args.threads)}).start()
        wait = rng.uniform(args.min_seconds, args.max_seconds)
        time.sleep(wait)
        still_running = daemon.running()
        try:
            status = daemon.terminate(timeout=60)
        except Exception as error:  # a hang: kill it and count it as a failure
            daemon.kill()
            status = f"hung: {error}"
        stderr = daemon.stderr_path.read_text(errors="replace")
        fatal = sorted(set(FATAL.findall(stderr)))
        commits = committed_offsets(args.bootstrap, group, topic, args.partitions)
        outputs: dict[tuple[int, int], int] = {}
        for m in read_all(args.bootstrap, scored):
            key = where.get(orjson.loads(m.value())["id"])
            if key is not None:
                outputs[key] = outputs.get(key, 0) + 1
        for t in (late, dlq):
            for m in read_all(args.bootstrap, t):
                h = {k: v.decode() for k, v in (m.headers() or []) if v is not None}
                key = (int(h["vigil.source.partition"]), int(h["vigil.source.offset"]))
                outputs[key] = outputs.get(key, 0) + 1
        lost = sum(1 for p, c in commits.items() for o in range(c) if (p, o) not in outputs)
        twice = sum(1 for n in outputs.values() if n > 1)
        lines = [json.loads(line) for path in (daemon.stdout_path, daemon.stderr_path)
                 for line in path.read_text(errors="replace").splitlines() if line.startswith("{")]
        stopped = [o for o in lines if o.get("msg") == "stopped"]
        threads = [o.get("pipeline.worker_threads") for o in lines if o.get("msg") == "consuming"]
        row = {"run": k + 1, "stopped_after_s": round(wait, 1), "running_at_stop": still_running, "exit": status,
               "fatal": fatal, "threads": threads[-1] if threads else None, "committed": sum(commits.values()), "outputs": len(outputs), "lost": lost, "twice": twice,
               "shutdown_s": stopped[-1].get("shutdown.seconds") if stopped else None}
        ok = status == 0 and not fatal and bool(stopped) and row["threads"] == str(args.threads) and lost == 0 and twice == 0 and still_running and 0 < sum(commits.values()) < len(where)
        failures += 0 if ok else 1
        row["ok"] = ok
        rows.append(row)
        log(json.dumps(row))
    report = {"runs": len(rows), "failures": failures, "threads": args.threads, "messages": len(where),
              "aborts": sum(1 for r in rows if r["exit"] != 0), "lost": sum(r["lost"] for r in rows),
              "twice": sum(r["twice"] for r in rows), "rows": rows}
    (out / "stop_loop.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k != "rows"}))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
