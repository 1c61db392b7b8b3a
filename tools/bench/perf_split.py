#!/usr/bin/env python3
"""Splits a `perf record -g` profile of `vigil run` (profile_run.py) into the engine and the daemon's
work around it: a sample with `IncidentEngine.process` anywhere on its stack is the engine's; a
sample of a librdkafka thread is librdkafka's; any other sample goes to the first pipeline stage
found walking up from its leaf (decoding, batch planning, workers, offset bookkeeping, ...).

  python -m tools.bench.perf_split PERF_DATA [--leaves]     # shares of all samples; --leaves: top leaf functions too

Frames are demangled with swift-demangle. With frame-pointer stacks glibc's malloc loses its caller
(it lands in "other"); record with `--call-graph dwarf` to attribute it."""
from __future__ import annotations

import collections
import subprocess
import sys

STAGES = [
    ("decode (IncidentDecoder)", "IncidentDecoder."),
    ("alert JSON / CAP", "AlertJSON."),
    ("output messages", "OutputMessages."),
    ("produce calls", "KafkaProducer.send"),
    ("delivery reports", "KafkaProducer.poll"),
    ("delivery state machine", "DeliveryStateMachine."),
    ("offset tracker", "OffsetAckTracker."),
    ("storing offsets", "storeCommittable"),
    ("record router / hold", "RecordRouter."),
    ("operations hooks (page, metrics)", "OperationsHub."),
    ("apply (other)", "IncidentPipeline.apply("),
    ("publish (other)", "IncidentPipeline.publish("),
    ("batch plan", "BatchPlan"),
    ("partition workers (not the engine)", "PartitionWorkers"),
    ("worker pool (not the engine)", "WorkerPool"),
    ("runPlan (other)", "IncidentPipeline.runPlan"),
    ("handle (other)", "IncidentPipeline.handle"),
    ("consumer poll (loop thread)", "KafkaConsumer.poll"),
    ("allocator trim", "AllocatorTrim"),
    ("loop (other)", "IncidentPipeline.loop"),
]


def main(argv: list[str]) -> int:
    script = f"perf script -i {argv[0]} -F comm,tid,ip,sym 2>/dev/null | swift-demangle --simplified"
    text = subprocess.run(script, shell=True, capture_output=True, text=True, check=True).stdout
    shares: collections.Counter[str] = collections.Counter()
    leaves: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for sample in text.split("\n\n"):
        lines = [line.strip() for line in sample.strip().splitlines()]
        if not lines:
            continue
        comm = lines[0].split()[0]
        frames = [" ".join(line.split()[1:]) for line in lines[1:]]
        if any("IncidentEngine.process(" in f for f in frames):
            stage = "ENGINE"
        elif comm.startswith("rdk:"):
            stage = "librdkafka threads"
        else:
            stage = next((name for f in frames for name, key in STAGES if key in f), f"other ({comm})")
        shares[stage] += 1
        leaves[stage][frames[0][:90] if frames else "?"] += 1
    total = sum(shares.values())
    print("samples", total)
    for stage, count in shares.most_common():
        print(f"{100 * count / total:6.2f}%  {stage}")
        if "--leaves" in argv and stage != "ENGINE":
            for leaf, n in leaves[stage].most_common(6):
                print(f"            {100 * n / total:5.2f}% {leaf}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
