"""A/B: does a busy admin API slow the processing loop? (docs/OPERATIONS.md, "Cost on the hot path")

Replays N Toronto incidents into a topic once, then runs the release `vigil run` over it several
times with a fresh consumer group, alternating two modes:
  quiet  - /metrics polled every 200 ms (to see when all N are consumed)
  busy   - the same, plus 2 threads requesting /metrics, /hotspots and /aggregates back to back
and reports the median consume throughput (first consumed -> all N consumed) per mode.

  tools/broker.sh start   # prints VIGIL_BOOTSTRAP=...
  VIGIL_BOOTSTRAP=... .venv/bin/python -m tools.ops.bench_admin_load --binary .build/release/vigil --limit 100000 --runs 3
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from tools.ops import prometheus_text as P
from tools.vigil_tools.daemon import VigilDaemon, http_get

ROOT = Path(__file__).resolve().parents[2]


def run_once(binary: str, bootstrap: str, topic: str, n: int, busy: bool) -> tuple[float, float]:
    cfg = f"""
[kafka]
bootstrap_servers = "{bootstrap}"
group_id = "bench-{uuid.uuid4().hex[:8]}"
create_topics = false
[topics]
incidents = "{topic}"
alerts = "bench-alerts"
dead_letter = "bench-dlq"
[admin]
listen = "127.0.0.1:0"
[log]
level = "notice"
"""
    d = VigilDaemon.with_config(binary, cfg)
    stop = threading.Event()
    try:
        port = d.admin_port()

        served = [0, 0]

        def hammer(k: int):
            paths = ["/metrics", "/hotspots", "/aggregates?neighbourhood=Downtown%20Yonge%20East%20(168)"]
            while not stop.is_set():
                http_get(port, paths[served[k] % 3])
                served[k] += 1
        threads = [threading.Thread(target=hammer, args=(k,), daemon=True) for k in range(2 if busy else 0)]
        for t in threads:
            t.start()
        start = None
        deadline = time.time() + 600
        while time.time() < deadline:
            status, _, body = http_get(port, "/metrics")
            consumed = P.value(P.parse(body.decode()), "vigil_messages_consumed_total") or 0
            if consumed > 0 and start is None:
                start = time.time()
            if consumed >= n:
                break
            time.sleep(0.2)
        elapsed = time.time() - start
        stop.set()
        for t in threads:
            t.join()
        return n / elapsed, sum(served) / elapsed
    finally:
        stop.set()
        d.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True)
    ap.add_argument("--limit", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    bootstrap = os.environ["VIGIL_BOOTSTRAP"]
    topic = f"bench-inc-{uuid.uuid4().hex[:8]}"
    subprocess.run([sys.executable, str(ROOT / "tools/replay_incidents.py"), "--bootstrap", bootstrap, "--topic", topic,
                    "--partitions", "6", "--limit", str(args.limit), "--quiet"], check=True)
    results: dict[str, list[float]] = {"quiet": [], "busy": []}
    for i in range(args.runs):
        for mode in (("quiet", "busy") if i % 2 == 0 else ("busy", "quiet")):
            rate, requests = run_once(args.binary, bootstrap, topic, args.limit, mode == "busy")
            results[mode].append(rate)
            print(f"run {i + 1} {mode}: {rate:,.0f} incidents/s, {requests:,.0f} admin requests/s", flush=True)
    q, b = statistics.median(results["quiet"]), statistics.median(results["busy"])
    print(f"median quiet {q:,.0f}/s, busy {b:,.0f}/s, busy/quiet = {b / q:.2f}")


if __name__ == "__main__":
    main()
