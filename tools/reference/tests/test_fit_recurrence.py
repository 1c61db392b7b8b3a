"""The per-family recurrence fit's arithmetic, on hand-made levels (no replay needed)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tools.reference.fit_recurrence import FAMILIES, family_of, fit_family


def alert(layer: str, hours: int) -> dict:
    return {"evidence": {"layer": layer, "duration_h": hours}}


def test_family_of_splits_layer_and_length_at_24_h():
    assert family_of(alert("Assault", 1)) == "category"
    assert family_of(alert("Assault", 23)) == "category"
    assert family_of(alert("Assault", 24)) == "category_long"
    assert family_of(alert("all", 12)) == "all"
    assert family_of(alert("all", 168)) == "all_long"
    assert set(FAMILIES) == {"category", "category_long", "all", "all_long"}


def test_fit_family_recovers_a_log_linear_tail_and_applies_the_share():
    # days per alert = exp(-2 + 0.4 L) exactly at each level: the fit must return b = 0.4 and
    # a = -2 + ln(share), i.e. alone the family alerts at RI >= R once per R / share days.
    train = ("2014-03-01", "2018-01-01")
    days = 1402.0
    known = []
    for level in (12.0, 14.0, 16.0, 18.0):
        per = math.exp(-2 + 0.4 * level)
        known.append({"family": "all_long", "surprise": level, "alerts": days / per, "days_per_alert": per})
    (a, b), rows = fit_family("unused", "all_long", [], 0.3, train, Path("."), known)
    assert b == pytest.approx(0.4, abs=1e-9)
    assert a == pytest.approx(-2 + math.log(0.3), abs=1e-9)
    assert len(rows) == 4


def test_fit_family_ignores_levels_with_fewer_than_three_alerts():
    train = ("2014-03-01", "2018-01-01")
    known = [
        {"family": "category", "surprise": 20.0, "alerts": 40, "days_per_alert": 1402 / 40},
        {"family": "category", "surprise": 22.0, "alerts": 20, "days_per_alert": 1402 / 20},
        {"family": "category", "surprise": 30.0, "alerts": 1, "days_per_alert": 1402.0},
    ]
    (a, b), _ = fit_family("unused", "category", [], 1.0, train, Path("."), known)
    assert b == pytest.approx(math.log(2) / 2, abs=1e-9)
    with pytest.raises(SystemExit):
        fit_family("unused", "category", [], 1.0, train, Path("."), known[2:])
