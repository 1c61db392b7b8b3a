#!/usr/bin/env python3
"""Soak test: `vigil run` at a steady input rate for a bounded time, RSS sampled throughout.

Real Toronto incidents are replayed in event-time order, looped with a shift of the data set's
span each pass so event time keeps advancing (windows fill in the first seconds, then expire as
fast as they fill: the steady state a long-running daemon lives in). Outside the default test
command; documented in docs/RELIABILITY.md.

    .venv/bin/python tools/soak.py --minutes 10 --rate 2000 --vigil .build/release/vigil --out /tmp/soak

Writes rss.csv (seconds, RSS MiB, incidents produced, committed) and summary.json; exits non-zero
if the daemon died, fell behind, or its RSS grew by more than --max-growth between the end of
warm-up and the end.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

from confluent_kafka import Producer

from tools.reliability import harness as H
from tools.vigil_tools import toronto
from tools.vigil_tools.procfs import memory_mb


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--rate", type=float, default=2000.0, help="incidents per second")
    ap.add_argument("--vigil", default=os.environ.get("VIGIL_BINARY", ".build/release/vigil"))
    ap.add_argument("--out", default="/tmp/vigil-soak")
    ap.add_argument("--warmup-minutes", type=float, default=2.0, help="excluded from the growth check")
    ap.add_argument("--max-growth", type=float, default=0.10, help="allowed RSS growth after warm-up (fraction)")
    args = ap.parse_args()
    os.environ["VIGIL_BINARY"] = str(Path(args.vigil).resolve())
    os.environ.setdefault("VIGIL_TANSU", str(Path(sys.prefix) / "bin" / "tansu"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    incidents = H.real_incidents(10**9)
    span = H.event_ms(incidents[-1]) - H.event_ms(incidents[0]) + 86_400_000
    broker = H.Broker.private()
    topics = {"incidents": "soak-in", "alerts": "soak-alerts", "dlq": "soak-dlq"}
    broker.create_topics({topics["incidents"]: 6, topics["alerts"]: 1, topics["dlq"]: 1})
    daemon = H.Daemon(broker.bootstrap, "soak", topics, out, "vigil-soak").start()
    stop = threading.Event()
    produced = [0]

    def produce() -> None:
        producer = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 5, "enable.idempotence": True})
        started = time.monotonic()
        n, loop = 0, 0
        while not stop.is_set():
            for inc in incidents:
                if stop.is_set():
                    break
                obj = dict(inc)
                ms = H.event_ms(inc) + loop * span
                obj["event_time"] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"
                obj["id"] = f"{inc['id']}#{loop}"
                while True:
                    try:
                        producer.produce(topics["incidents"], value=toronto.to_json(obj), key=toronto.kafka_key(obj),
                                         partition=H.partition_of(obj, 6), timestamp=ms)
                        break
                    except BufferError:
                        producer.poll(0.05)
                n += 1
                produced[0] = n
                if n % 256 == 0:
                    producer.poll(0)
                    ahead = n / args.rate - (time.monotonic() - started)
                    if ahead > 0:
                        time.sleep(ahead)
            loop += 1
        producer.flush(60)

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    samples = []
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < args.minutes * 60:
            time.sleep(5)
            if daemon.process.poll() is not None:
                print("soak: the daemon exited", file=sys.stderr)
                return 1
            committed = sum(max(0, c) for c in broker.committed("soak", topics["incidents"], 6))
            samples.append((round(time.monotonic() - t0, 1), memory_mb(daemon.pid)["vmrss_mb"], produced[0], committed))
            print(f"soak: {samples[-1][0]:7.1f} s  RSS {samples[-1][1]:7.1f} MiB  produced {samples[-1][2]}  committed {committed}",
                  file=sys.stderr, flush=True)
    finally:
        stop.set()
        thread.join(60)
        status = daemon.terminate(120) if daemon.process.poll() is None else daemon.process.returncode
        broker.stop()

    with open(out / "rss.csv", "w") as f:
        f.write("seconds,rss_mib,produced,committed\n")
        for s in samples:
            f.write(",".join(map(str, s)) + "\n")
    after_warmup = [s for s in samples if s[0] >= args.warmup_minutes * 60]
    first, last = after_warmup[0][1], after_warmup[-1][1]
    peak = max(s[1] for s in after_warmup)
    lag = samples[-1][2] - samples[-1][3]
    summary = {"minutes": args.minutes, "rate": args.rate, "incidents": samples[-1][2], "rss_after_warmup_mib": first,
               "rss_end_mib": last, "rss_peak_mib": peak, "growth": round((last - first) / first, 4),
               "final_lag": lag, "exit_status": status, "alerts_logged": sum(1 for line in daemon.log_lines() if "kind" in line)}
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    ok = status == 0 and summary["growth"] <= args.max_growth and lag <= args.rate * 10
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
