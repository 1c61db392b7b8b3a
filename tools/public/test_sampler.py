"""Vigil's exact discrete Laplace sampler (`vigil public sample`, getrandom) against OpenDP's
(`make_laplace` on integers, its discrete Laplace) at the same scale: variance and tail mass,
and a chi-square of Vigil's draws against the closed-form pmf (scipy for the p-value)."""
from __future__ import annotations

import os
import subprocess

import numpy as np
import pytest
from scipy import stats

N = 200_000


def vigil_draws(scale: str, n: int = N) -> np.ndarray:
    binary = os.environ.get("VIGIL_BINARY")
    if not binary:
        pytest.skip("VIGIL_BINARY not set (tools/test.sh sets it)")
    out = subprocess.run([binary, "public", "sample", "--scale", scale, "--count", str(n)],
                         check=True, capture_output=True, text=True, timeout=600).stdout
    return np.array(out.split(), dtype=np.int64)


def opendp_draws(scale: float, n: int = N) -> np.ndarray:
    import opendp.prelude as dp
    dp.enable_features("contrib")
    m = dp.m.make_laplace(dp.vector_domain(dp.atom_domain(T=int), size=n), dp.l1_distance(T=int), scale=scale)
    return np.array(m([0] * n), dtype=np.int64)


def pmf(x: np.ndarray, scale: float) -> np.ndarray:
    q = np.exp(-1 / scale)
    return (1 - q) / (1 + q) * q ** np.abs(x)


@pytest.mark.parametrize("scale_text,scale", [("11/2", 5.5), ("1/3", 1 / 3), ("40", 40.0)])
def test_vigil_agrees_with_opendp(scale_text: str, scale: float) -> None:
    v, o = vigil_draws(scale_text), opendp_draws(scale)
    q = np.exp(-1 / scale)
    analytic_var = 2 * q / (1 - q) ** 2
    # Variance: two-sample comparison with the standard error of a sample variance
    # (fourth moment estimated from the pooled draws).
    pooled = np.concatenate([v, o]).astype(float)
    se = np.sqrt((np.mean(pooled ** 4) - analytic_var ** 2) / N)
    print(f"\nscale {scale_text}: variance vigil {v.var():.4f} opendp {o.var():.4f} analytic {analytic_var:.4f}")
    assert abs(v.var() - o.var()) < 6 * np.sqrt(2) * se
    assert abs(v.var() - analytic_var) < 6 * se
    # Tail mass P[|X| >= k] at the 50%, 10% and 1% points of the distribution.
    for target in (0.5, 0.1, 0.01):
        k = max(1, int(np.ceil(np.log(target * (1 + q) / 2) / np.log(q))))
        pv, po = np.mean(np.abs(v) >= k), np.mean(np.abs(o) >= k)
        p = (pv + po) / 2
        se_tail = np.sqrt(2 * p * (1 - p) / N)
        print(f"  P[|X| >= {k}]: vigil {pv:.5f} opendp {po:.5f} analytic {2 * q ** k / (1 + q):.5f}")
        assert abs(pv - po) < 6 * se_tail


def test_chi_square_against_closed_form() -> None:
    scale = 5.5
    n = 1_000_000
    v = vigil_draws("11/2", n)
    edge = 0
    while n * pmf(np.array([edge + 1]), scale)[0] >= 20:
        edge += 1
    xs = np.arange(-edge, edge + 1)
    observed = np.array([np.sum(v == x) for x in xs] + [np.sum(v < -edge), np.sum(v > edge)], dtype=float)
    q = np.exp(-1 / scale)
    tail_each = q ** (edge + 1) / (1 + q)
    expected = np.concatenate([n * pmf(xs, scale), [n * tail_each, n * tail_each]])
    chi2, p = stats.chisquare(observed, expected)
    print(f"\nchi-square of {n} getrandom draws at scale 11/2: chi2 {chi2:.1f} on {len(observed) - 1} df, p = {p:.4f}")
    # getrandom is unseeded: a correct sampler fails this with probability 1e-6.
    assert p > 1e-6
