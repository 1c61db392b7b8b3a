#!/usr/bin/env python3
"""How long a partition's state takes to rebuild by replay, per `[recovery] rewind` mode.

Produces every Toronto incident into a one-partition topic on a private broker, lets one `vigil
run` process and commit all of it, stops it, then starts fresh instances with each rewind mode and
reads the rebuild figures they log ("partition state rebuilt; ...").

    .venv/bin/python tools/measure_rebuild.py --vigil .build/release/vigil --repeat 3
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from tools.reliability import harness as H

REBUILT = "partition state rebuilt; live from the committed offset"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vigil", default=os.environ.get("VIGIL_BINARY", ".build/release/vigil"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--modes", default="all,auto")
    args = ap.parse_args()
    os.environ["VIGIL_BINARY"] = str(Path(args.vigil).resolve())
    os.environ.setdefault("VIGIL_TANSU", str(Path(sys.prefix) / "bin" / "tansu"))
    work = Path(tempfile.mkdtemp(prefix="vigil-rebuild-"))
    broker = H.Broker.private()
    try:
        topics = {"incidents": "rebuild-in", "alerts": "rebuild-alerts", "dlq": "rebuild-dlq"}
        broker.create_topics({topics["incidents"]: 1, topics["alerts"]: 1, topics["dlq"]: 1})
        incidents = H.real_incidents(10**9)
        broker.produce(topics["incidents"], [incidents])
        first = H.Daemon(broker.bootstrap, "rebuild", topics, work, "first").start()
        if not H.wait_for(lambda: broker.committed("rebuild", topics["incidents"], 1) == [len(incidents)], 900):
            print("the first instance did not finish", file=sys.stderr)
            return 1
        first.terminate()
        print("mode\trecords_applied\tseconds\tkeys\tdigest")
        for n in range(args.repeat):
            for mode in args.modes.split(","):
                d = H.Daemon(broker.bootstrap, "rebuild", topics, work, f"{mode}-{n}", env={"VIGIL_RECOVERY_REWIND": mode}).start()
                H.wait_for(lambda d=d: bool(d.logged(REBUILT)), 900)
                d.terminate()
                line = d.logged(REBUILT)[-1]
                digest = d.stop_digests().get(0, "?")
                print(f"{mode}\t{line['recovery.replayed']}\t{line['recovery.seconds']}\t{line['state.keys']}\t{digest}", flush=True)
    finally:
        broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
