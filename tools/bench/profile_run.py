#!/usr/bin/env python3
"""Profiles `vigil run` on a topic that already holds N messages (4 partitions): the shipped engine
(side_by_side.py's config), a fresh group, until all N are committed; prints messages/s, CPU µs per
message and peak RSS as side_by_side.py measures them.

  python -m tools.bench.profile_run BOOTSTRAP TOPIC N BINARY OUT_DIR NAME [perf|none] [KEY=VALUE ...]

perf:  `perf record -e cpu-clock` attached 1 s after the start (every thread exists by then), with
       PERFARGS (default "-F 997 -g"; "-F 199 --call-graph dwarf,16384" attributes malloc's callers)
       into OUT_DIR/NAME.perf.data (split it with perf_split.py).
none:  no profiler; BINARY may then be a wrapper, e.g. one that runs vigil under callgrind.
KEY=VALUE pairs go to vigil's environment."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tools.bench.bench_e2e import CommittedProbe, until_committed
from tools.bench.side_by_side import shipped_config
from tools.vigil_tools.daemon import VigilDaemon


def main(argv: list[str]) -> int:
    bootstrap, topic, n, binary, out, name = argv[0], argv[1], int(argv[2]), argv[3], Path(argv[4]), argv[5]
    mode = argv[6] if len(argv) > 6 else "perf"
    env = dict(kv.split("=", 1) for kv in argv[7:])
    out.mkdir(parents=True, exist_ok=True)
    group = f"prof-{name}-{time.time_ns()}"
    config = out / f"{name}.toml"
    config.write_text(shipped_config(bootstrap, group, topic, 4, f"{topic}.{name}-alerts", []))
    daemon = VigilDaemon(binary, config, out, name, env=env).start()
    perf = None
    if mode == "perf":
        time.sleep(1.0)
        args = os.environ.get("PERFARGS", "-F 997 -g").split()
        perf = subprocess.Popen(["perf", "record", "-e", "cpu-clock", *args, "-p", str(daemon.pid),
                                 "-o", str(out / f"{name}.perf.data")],
                                stdout=subprocess.DEVNULL, stderr=open(out / f"{name}.perf.err", "w"))
    try:
        with CommittedProbe(bootstrap, group, topic, 4) as probe:
            samples, memory = until_committed(daemon, probe, n, 3600)
    finally:
        if perf:
            perf.send_signal(signal.SIGINT)
            perf.wait()
        daemon.stop()
    first = next(i for i, s in enumerate(samples) if s[1] > 0)
    start = first if len(samples) - first >= 2 else max(0, first - 1)
    (t0, c0, cpu0), (t1, c1, cpu1) = samples[start], samples[-1]
    print(json.dumps({"name": name, "messages": c1, "seconds": round(t1 - t0, 3),
                      "messages_per_s": round((c1 - c0) / (t1 - t0)),
                      "cpu_us_per_message": round((cpu1 - cpu0) / max(1, c1 - c0) * 1e6, 2),
                      "peak_rss_mb": memory.get("vmhwm_mb")}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
