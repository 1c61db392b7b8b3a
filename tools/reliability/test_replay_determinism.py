"""Determinism across processes: two `vigil replay` runs of the same input, byte for byte.

The in-process determinism tests compare two engines that share one process, hence one hash
seed: an output that depends on dictionary or set iteration order passes them. Swift seeds its
hashing per process, so two processes expose such an order dependence (issue 12).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

from tools.reliability import harness as H
from tools.vigil_tools.ndjson import write_ndjson

INCIDENTS = 30_000


def replay(src: Path, out: Path, summary: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SWIFT_DETERMINISTIC_HASHING"}
    env["VIGIL_ALERTS_KINDS"] = "all"  # every kind (clusters alone are rare in 30k incidents)
    subprocess.run([H.require_env("VIGIL_BINARY"), "replay", "--config", str(H.CONFIG), "--input", str(src),
                    "--output", str(out), "--summary", str(summary), "--quiet"],
                   check=True, env=env, stderr=subprocess.DEVNULL, timeout=600)


def test_two_processes_replay_the_same_input_to_the_same_bytes(tmp_path: Path) -> None:
    src = tmp_path / "incidents.ndjson"
    write_ndjson(src, H.real_incidents(INCIDENTS))
    runs = []
    for n in range(2):
        out, summary = tmp_path / f"alerts-{n}.ndjson", tmp_path / f"summary-{n}.json"
        replay(src, out, summary)
        runs.append((out.read_bytes(), summary.read_bytes()))
    (alerts_a, summary_a), (alerts_b, summary_b) = runs
    assert alerts_a.count(b"\n") > 10, "the input produces alerts, so the comparison means something"
    assert hashlib.sha256(alerts_a).hexdigest() == hashlib.sha256(alerts_b).hexdigest(), "alerts differ between processes"
    def timeless(summary: bytes) -> dict:
        return {k: v for k, v in json.loads(summary).items() if not k.endswith("_seconds") and not k.endswith("_per_second")}
    assert timeless(summary_a) == timeless(summary_b), "state digests and counts differ between processes"
    assert timeless(summary_a)["state_digest"], "the summary carries the state digest"
