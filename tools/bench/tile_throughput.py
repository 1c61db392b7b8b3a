"""The tile layout's cost and speed against one engine, same run, same broker, same input.

Produces every Toronto incident (sorted by event time) to a one-partition topic once, then runs
`vigil run` from an empty group over it in each configuration, interleaved for `--rounds`:

- ``one-engine``: the shipped config (`scale_out.enabled = false`): one partition, one engine with
  every rule, the cluster scan included;
- ``tiles-1``, ``tiles-2``: `scale_out.enabled = true`, 6 routed partitions, 1 or 2 scan threads (the
  main pipeline keeps every other rule; router, scans and lifecycle run beside it).

For each: seconds from start until everything is committed (the main group all input, and in the
tile layout the router all input and the scans' and lifecycle's commits standing still), process CPU
seconds (utime + stime), peak RSS, and the cluster alerts published. Prints medians per
configuration. Needs a running broker (`tools/broker.sh start`; VIGIL_BOOTSTRAP) and VIGIL_BINARY.

    .venv/bin/python -m tools.bench.tile_throughput --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from tools.reliability import harness as H

CONFIGS = {
    "one-engine": {"VIGIL_SCALE_OUT_ENABLED": "false"},
    "tiles-1": {"VIGIL_SCALE_OUT_ENABLED": "true", "VIGIL_SCALE_OUT_SCAN_THREADS": "1"},
    "tiles-2": {"VIGIL_SCALE_OUT_ENABLED": "true", "VIGIL_SCALE_OUT_SCAN_THREADS": "2"},
}


def proc_cpu_and_hwm(pid: int) -> tuple[float, float]:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    hwm = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
               if line.startswith("VmHWM:"))
    return cpu, hwm / 1024


def run_once(broker: H.Broker, topics: dict[str, str], rows: int, name: str, env: dict[str, str],
             workdir: Path) -> dict[str, float]:
    group = H.unique(f"tput-{name}")
    stage = {"routed": H.unique("tput-routed"), "findings": H.unique("tput-findings")}
    if env["VIGIL_SCALE_OUT_ENABLED"] == "true":
        broker.create_topics({stage["routed"]: 6, stage["findings"]: 1})
    d = H.Daemon(broker.bootstrap, group, topics, workdir, f"{name}-{group}", env={
        **env, "VIGIL_SCALE_OUT_PARTITIONS": "6", "VIGIL_SCALE_OUT_ROUTED_TOPIC": stage["routed"],
        "VIGIL_SCALE_OUT_FINDINGS_TOPIC": stage["findings"],
        "VIGIL_ALERTS_KINDS": "cluster_emerging,cluster_grew,cluster_ended"})
    started = time.monotonic()
    d.start()
    tiles = env["VIGIL_SCALE_OUT_ENABLED"] == "true"

    def positions() -> list[int]:
        out = broker.committed(group, topics["incidents"], 1)
        if tiles:
            out += broker.committed(f"{group}.router", topics["incidents"], 1)
            out += broker.committed(f"{group}.scan", stage["routed"], 6)
            out += broker.committed(f"{group}.lifecycle", stage["findings"], 1)
        return out

    done_at = None
    last: list[int] = []
    while time.monotonic() - started < 1800:
        now = positions()
        if now[0] == rows and (not tiles or now[1] == rows):
            if now == last and done_at is not None:
                break
            if now != last:
                done_at = time.monotonic()
        last = now
        time.sleep(1.0)
    assert done_at is not None, f"{name} did not finish: {last}"
    cpu, hwm = proc_cpu_and_hwm(d.pid)
    d.terminate()
    alerts = sum(1 for line in d.log_lines() if str(line.get("kind", "")).startswith("cluster_"))
    # The commit lands up to ~1 s (auto commit) after the work: the finish time is when it was seen.
    return {"seconds": done_at - started, "cpu": cpu, "rss_mb": hwm, "alerts": alerts}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--configs", default=",".join(CONFIGS))
    p.add_argument("--input", help="NDJSON incidents in the order to produce (default: every Toronto incident, by time)")
    p.add_argument("--env", action="append", default=[], help="KEY=VALUE for every vigil run, e.g. VIGIL_CLUSTERS_CALIBRATION=-14.1,1")
    args = p.parse_args()
    broker = H.Broker(H.require_env("VIGIL_TEST_BOOTSTRAP"))
    if args.input:
        with open(args.input, encoding="utf-8") as f:
            incidents = [json.loads(line) for line in f]
    else:
        incidents = H.real_incidents(10**9)
    extra = dict(e.split("=", 1) for e in args.env)
    topics = {"incidents": H.unique("tput-in"), "alerts": H.unique("tput-alerts"), "dlq": H.unique("tput-dlq")}
    broker.create_topics({topics["incidents"]: 1, topics["alerts"]: 3, topics["dlq"]: 1})
    broker.produce(topics["incidents"], [incidents], keep_order=bool(args.input))
    workdir = Path(tempfile.mkdtemp(prefix="tile-tput-"))
    results: dict[str, list[dict[str, float]]] = {c: [] for c in args.configs.split(",")}
    for r in range(args.rounds):
        for name in results:
            res = run_once(broker, topics, len(incidents), name, {**CONFIGS[name], **extra}, workdir)
            results[name].append(res)
            print(f"round {r + 1} {name}: {json.dumps({k: round(v, 2) for k, v in res.items()})}", flush=True)
    print(f"{len(incidents)} incidents, one input partition; medians over {args.rounds} rounds:")
    for name, rs in results.items():
        med = {k: statistics.median(x[k] for x in rs) for k in rs[0]}
        print(f"  {name:10s} {med['seconds']:7.1f} s  {len(incidents) / med['seconds']:8.0f} incidents/s  "
              f"CPU {med['cpu']:6.1f} s ({med['cpu'] * 1e6 / len(incidents):5.1f} µs/incident)  "
              f"peak RSS {med['rss_mb']:6.1f} MB  cluster alerts {med['alerts']:.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
