"""The recurrence-interval calibration's grouping and fit on hand-made findings."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from tools.reference.calibrate_clusters import Period, fit, group_onsets, llr_for, rate_curve
from tools.reference.common import HOUR_MS


def findings(rows):
    return pd.DataFrame(rows, columns=["t", "llr", "x", "y"]).assign(cluster=None, kinds="")


def test_grouping_joins_near_findings_and_splits_far_or_late_ones():
    f = findings([
        (0, 10.0, 0.0, 0.0),
        (5 * HOUR_MS, 12.0, 500.0, 0.0),            # 500 m, 5 h later: same group
        (100 * HOUR_MS, 11.0, 600.0, 0.0),          # 600 m from the group's first finding, 95 h after its last: same
        (101 * HOUR_MS, 11.0, 5000.0, 0.0),         # far: a new group
        (400 * HOUR_MS, 11.0, 0.0, 0.0),            # 300 h after the first group's last finding: new
        (401 * HOUR_MS, 5.0, 100.0, 0.0),           # below the threshold: ignored
    ])
    on = group_onsets(f, 9.0, 750.0, 168 * HOUR_MS)
    assert on.tolist() == [0, 101 * HOUR_MS, 400 * HOUR_MS]
    # a higher threshold drops the weaker findings: the 12.0 finding opens its own group
    assert group_onsets(f, 11.5, 750.0, 168 * HOUR_MS).tolist() == [5 * HOUR_MS]
    # explicit cluster ids win over the geometric grouping: one onset per id (its first finding)
    g = f.assign(cluster=["a", "a", "b", "b", "c", "c"])
    assert sorted(group_onsets(g, 9.0, 750.0, 168 * HOUR_MS).tolist()) == [0, 100 * HOUR_MS, 400 * HOUR_MS]


def test_fit_recovers_a_known_exponential_recurrence():
    # isolated findings (10 km apart) whose counts above l fall as days / exp(a + b l)
    a, b = -3.0, 0.4
    per = Period("p", date(2015, 1, 1), date(2017, 12, 31))
    rng = np.random.default_rng(3)
    rows = []
    # survival: #(LLR >= l) = days * exp(-(a + b l)) for l in [10, 25]  => LLR = l0 + Exp(b)
    n0 = per.days * math.exp(-(a + b * 10.0))
    n = int(round(n0))
    ll = 10.0 + rng.exponential(1 / b, n)
    ts = rng.integers(per.lo, per.hi, n)
    for k in range(n):
        rows.append((int(ts[k]), float(ll[k]), 10_000.0 * k, 0.0))
    f = findings(rows).sort_values("t").reset_index(drop=True)
    curve = rate_curve(f, per, np.arange(10, 30, 0.5), 750.0, 168 * HOUR_MS)
    fa, fb, used = fit(curve, 20, 500)
    assert used >= 5
    assert fb == pytest.approx(b, rel=0.15)
    # the fitted threshold for R = 100 days gives about days/100 findings
    thr = llr_for(100, fa, fb)
    m = int((f["llr"] >= thr).sum())
    assert 0.5 <= m / (per.days / 100) <= 2.0
