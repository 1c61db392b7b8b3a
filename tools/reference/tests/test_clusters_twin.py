"""The offline twin against Vigil: every cluster probe of a real-data replay, recomputed.

``vigil replay --cluster-probes FILE --cluster-probe-every N`` writes, for
about one evaluation in N of the emerging-cluster scan, one line per
(radius, duration) cylinder with its observed count O, expected count E and
LLR and surprise (docs/CLUSTERS.md, "Probe records").  ``reference.clusters_twin``
recomputes them from the input file alone: O must agree exactly, E, LLR and surprise
to 1e-9 relative (LLR and surprise also 1e-12 absolute, for cylinders where O is barely
above E and the LLR is a difference of nearly equal numbers).

Data: the real Toronto incidents of 2019-01-01 .. 2020-06-30 (about 50k),
shipped configuration.  Skipped only when ``VIGIL_BINARY`` is unset
(tools/test.sh sets it).
"""

from __future__ import annotations

import os
import subprocess
from datetime import date

import pytest

from tools.reference.clusters_twin import ClusterTwin, ScanParams, compare, read_probes
from tools.reference.common import frame_from_ndjson
from tools.reference.plant_episodes import write_stream
from tools.reference.plant_surges import day_start_ms

VIGIL_BINARY = os.environ.get("VIGIL_BINARY")
EVERY = 97
SLICE = (date(2019, 1, 1), date(2020, 7, 1))   # [from, to)


@pytest.mark.skipif(not VIGIL_BINARY, reason="VIGIL_BINARY is not set (tools/test.sh sets it)")
def test_twin_reproduces_every_probe(toronto_records, shipped_config, tmp_path):
    lo, hi = day_start_ms(SLICE[0]), day_start_ms(SLICE[1])
    rows = sorted(((o, t) for o, t in toronto_records if t is not None and lo <= t < hi),
                  key=lambda r: (r[1], r[0]["id"]))
    stream = tmp_path / "slice.ndjson"
    write_stream(rows, stream)
    probes = tmp_path / "probes.ndjson"
    cmd = [VIGIL_BINARY, "replay", "--input", str(stream), "--config", str(shipped_config),
           "--output", str(tmp_path / "alerts.ndjson"), "--quiet",
           "--cluster-probes", str(probes), "--cluster-probe-every", str(EVERY)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stderr[-3000:]}"

    params = ScanParams.from_config(shipped_config)
    twin = ClusterTwin(frame_from_ndjson(stream, params.grid), params)
    got = read_probes(probes)
    cmp = compare(twin, got, EVERY)
    total = len(twin.evaluations())
    print(f"{cmp.lines} probe lines, {cmp.evaluations} evaluations probed of {total}; "
          f"max O {got['observed'].max()}, max LLR {got['llr'].max():.3f}, max surprise {got['surprise'].max():.3f}; stride {cmp.stride}")
    assert cmp.lines > 0, "no probe lines"
    assert cmp.unknown.empty, f"probed evaluations the spec does not make:\n{cmp.unknown.head(20)}"
    assert not cmp.incomplete, f"evaluations without exactly one line per (r, d): {cmp.incomplete[:10]}"
    assert cmp.mismatches.empty, f"{len(cmp.mismatches)} mismatching lines:\n{cmp.mismatches.head(20).to_string()}"
    # a deterministic sample of about one evaluation in N, with both kinds of layer
    assert total / EVERY / 2 <= cmp.evaluations <= total / EVERY * 2, (cmp.evaluations, total)
    assert set(got["layer"]) - {"all"} and "all" in set(got["layer"])
    assert (got["observed"] >= 3).any() and (got["llr"] > 0).any()
