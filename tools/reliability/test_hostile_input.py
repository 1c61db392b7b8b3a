"""Hostile input: malformed, oversized, truncated, non-UTF-8, wrong-typed, out-of-range, far-past
and far-future messages interleaved with real incidents.

Each bad message must reach the dead-letter topic unchanged with the right reason, and the good
messages around them must give exactly the alerts and state they give alone.

It runs in the region-keyed layout and in the shipped tile layout (`[scale_out]`), where the
router reads the same input in a group of its own: it must get past every bad message without
dead-lettering it a second time, and every stage must commit. (These 4,000 incidents are too
few weeks for a cluster alert; test_tile_layout.py mixes the same bad messages into a stream that
has them and checks the cluster alerts against one engine.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.reliability import harness as H

GOOD = 4_000


@pytest.mark.parametrize("layout", ["region-keyed", "tiles"])
def test_bad_messages_are_dead_lettered_with_reasons_and_good_ones_are_unaffected(tmp_path: Path, layout: str) -> None:
    broker = H.Broker(H.require_env("VIGIL_TEST_BOOTSTRAP"))
    topics = {"incidents": H.unique("hostile-in"), "alerts": H.unique("hostile-alerts"), "dlq": H.unique("hostile-dlq")}
    broker.create_topics({topics["incidents"]: 1, topics["alerts"]: 1, topics["dlq"]: 1})
    good = H.real_incidents(GOOD)
    reference = H.reference_run([good], tmp_path)
    expected_letters = H.produce_with_hostile(broker.bootstrap, topics["incidents"], good, event_timestamps=False)

    group = H.unique("hostile-group")
    tiles = layout == "tiles"
    stage_env = H.tile_layout_env(broker) if tiles else {}
    daemon = H.Daemon(broker.bootstrap, group, topics, tmp_path, "hostile", env=stage_env).start()
    total = GOOD + len(expected_letters)
    if tiles:
        assert H.wait_for(lambda: H.tile_layout_finished(broker, group, topics["incidents"], stage_env, total), 180), \
            "every stage processed and committed everything"
    else:
        assert H.wait_for(lambda: broker.committed(group, topics["incidents"], 1) == [total], 120), \
            "everything processed and committed"
    assert daemon.terminate() == 0

    letters = broker.read_all(topics["dlq"])
    assert [(h["vigil.error.reason"], v) for v, h in letters] == expected_letters, \
        "every bad message is dead-lettered, unchanged, in order, with its reason"
    for _value, headers in letters:
        assert headers["vigil.error.message"], "each dead letter says why"
        assert headers["vigil.source.topic"] == topics["incidents"] and int(headers["vigil.source.offset"]) >= 0

    ids = {a["id"] for a in H.alerts_on_topic(broker, topics["alerts"])}
    assert ids == reference.alert_ids, "the good incidents give exactly the alerts they give alone"
    if tiles:
        # The main pipeline holds every rule but the scan (the stages hold it): its state is one
        # engine's without the scan.
        (tmp_path / "main").mkdir()
        main = H.reference_run([good], tmp_path / "main", env={"VIGIL_CLUSTERS_ENABLED": "false"})
        assert daemon.stop_digests() == {0: main.digests[0]}, "and exactly the same state"
    else:
        assert daemon.stop_digests() == {0: reference.digests[0]}, "and exactly the same state"
