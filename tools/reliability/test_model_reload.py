"""Hot model swap: the model file is replaced under a running daemon.

A bad file is rejected with the reason logged and the serving model keeps scoring; a good new
file is swapped in between batches; no incident is dropped or scored twice across the swaps.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from pathlib import Path

from tools.reliability import harness as H

MODELS = H.ROOT / "Config" / "models"


def replace_file(path: Path, data: bytes) -> None:
    """Atomically, as a deployment tool would (write a sibling, rename over)."""
    tmp = path.with_suffix(".new")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def test_a_model_file_is_swapped_live_and_a_bad_one_is_rejected(tmp_path: Path) -> None:
    broker = H.Broker(H.require_env("VIGIL_TEST_BOOTSTRAP"))
    topics = {"incidents": H.unique("model-in"), "alerts": H.unique("model-alerts"), "dlq": H.unique("model-dlq")}
    broker.create_topics({topics["incidents"]: 1, topics["alerts"]: 1, topics["dlq"]: 1})
    incidents = H.real_incidents(12_000)
    first, second = incidents[:6_000], incidents[6_000:]
    model = tmp_path / "model.json"
    shutil.copy(MODELS / "near-repeat-xgboost.json", model)

    group = H.unique("model-group")
    daemon = H.Daemon(broker.bootstrap, group, topics, tmp_path, "model", env={"VIGIL_MODEL_PATH": str(model)}).start()
    broker.produce(topics["incidents"], [first])
    assert H.wait_for(lambda: broker.committed(group, topics["incidents"], 1) == [len(first)], 120)

    replace_file(model, b'{"learner": "truncated')
    assert H.wait_for(lambda: bool(daemon.logged("new model file rejected; the previous model keeps serving")), 30), \
        "a malformed model file is rejected with a logged reason"
    replace_file(model, (MODELS / "near-repeat-logistic.json").read_bytes())
    assert H.wait_for(lambda: bool(daemon.logged("model swapped")), 30), "a valid new model file is swapped in"
    swapped = daemon.logged("model swapped")[-1]
    assert swapped["reason"] == "model file changed"

    broker.produce(topics["incidents"], [second])
    assert H.wait_for(lambda: broker.committed(group, topics["incidents"], 1) == [len(incidents)], 120), \
        "every incident processed and committed across the swaps"
    assert daemon.terminate() == 0

    alerts = [json.loads(v) for v, _ in broker.read_all(topics["alerts"])]
    risky = [a for a in alerts if a["kind"] == "high_risk"]
    kinds = Counter(a["model"]["kind"] for a in risky)
    assert set(kinds) == {"xgboost", "logistic"}, f"alerts from the model before and after the swap: {kinds}"
    scored_twice = [i for i, n in Counter(a["incident_ids"][-1] for a in risky).items() if n > 1]
    assert not scored_twice, f"incidents alerted twice: {scored_twice[:5]}"
    # Everything before the swap was scored by the first model, everything after by the second.
    order = [a["model"]["kind"] for a in risky]
    assert order == sorted(order, key=lambda k: k != "xgboost"), "no interleaving: the swap happens between batches"
    assert broker.read_all(topics["dlq"], idle=1.0, timeout=15) == [], "nothing dead-lettered"
