"""Accuracy of Vigil's public weekly neighbourhood x category release on the Toronto data,
against the exact counts (pandas) and two baselines at the same total budget (numpy).

    python -m tools.public.accuracy [--epsilon 1] [--json out.json]

Vigil: `vigil public export --stream neighbourhood_category/week` (binary tree over all weeks of
the data, exact discrete Laplace from getrandom). Baselines, both event-level epsilon-DP for the
same published figures (weekly counts and running totals since the first week):
  naive   -- fresh discrete Laplace on every figure of every release: half of epsilon to the
             weekly counts (scale 2/eps), half spread over the T running totals (scale 2T/eps);
  cumsum  -- weekly counts with scale 1/eps, running totals as their cumulative sum.
Figures are clamped at zero for every method, as Vigil publishes them by default.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from tools.vigil_tools import toronto

CATEGORIES = ["Assault", "Auto Theft", "Break and Enter", "Robbery", "Theft Over"]
WEEK_MS = 7 * 86_400_000
MONDAY_ORIGIN_MS = -3 * 86_400_000  # weeks start on the Monday before 1970-01-01
BOUNDS = (43.58, -79.64, 43.86, -79.11)


def load(since_ms: int) -> pd.DataFrame:
    rows = []
    for inc in toronto.load_incidents():
        o = inc.obj
        if inc.epoch_ms is None or inc.epoch_ms < since_ms or o.get("category") not in CATEGORIES or not o.get("neighbourhood"):
            continue
        lat, lon = o.get("lat"), o.get("lon")
        if lat is None or lon is None or not (BOUNDS[0] <= lat <= BOUNDS[2] and BOUNDS[1] <= lon <= BOUNDS[3]):
            continue
        rows.append((inc.epoch_ms, o["category"], o["neighbourhood"], o))
    return pd.DataFrame(rows, columns=["ms", "category", "neighbourhood", "obj"])


def discrete_laplace(rng: np.random.Generator, scale: float, size) -> np.ndarray:
    q = np.exp(-1.0 / scale)
    return (rng.geometric(1 - q, size) - rng.geometric(1 - q, size)).astype(np.int64)


def metrics(true: np.ndarray, noisy: np.ndarray) -> dict[str, float]:
    """true/noisy: [weeks, neighbourhoods, categories]."""
    err = np.abs(noisy - true)
    big = true >= 10
    totals = true.sum(axis=2)
    top_true = true.max(axis=2)
    noisy_top = noisy.argmax(axis=2)
    picked_true = np.take_along_axis(true, noisy_top[..., None], axis=2)[..., 0]
    occupied = totals > 0
    return {
        "median_abs_error": float(np.median(err)),
        "mean_abs_error": float(err.mean()),
        "median_rel_error_ge10": float(np.median(err[big] / true[big])) if big.any() else float("nan"),
        "top_category_preserved": float((picked_true[occupied] == top_true[occupied]).mean()),
    }


def run(binary: str, epsilon: float, seed: int, since: str) -> dict:
    # The data set's reporting years start in 2014; a few records carry much older occurrence dates.
    df = load(int(pd.Timestamp(since, tz="UTC").value // 1_000_000))
    df["week"] = (df["ms"] - MONDAY_ORIGIN_MS) // WEEK_MS
    first, last_incident_week = int(df["week"].min()), int(df["week"].max())
    weeks = last_incident_week - first  # complete weeks: the last one is still open at the last incident
    neighbourhoods = sorted(df["neighbourhood"].unique())
    n_index = {n: i for i, n in enumerate(neighbourhoods)}
    c_index = {c: i for i, c in enumerate(CATEGORIES)}
    true = np.zeros((weeks, len(neighbourhoods), len(CATEGORIES)), np.int64)
    inside = df[df["week"] < first + weeks]
    np.add.at(true, (inside["week"].to_numpy() - first, inside["neighbourhood"].map(n_index).to_numpy(),
                     inside["category"].map(c_index).to_numpy()), 1)
    running = true.cumsum(axis=0)

    start_ms = first * WEEK_MS + MONDAY_ORIGIN_MS
    start = pd.Timestamp(start_ms, unit="ms", tz="UTC").strftime("%Y-%m-%d")
    with tempfile.TemporaryDirectory(prefix="vigil-public-") as tmp:
        tmp = Path(tmp)
        (tmp / "incidents.ndjson").write_bytes(b"".join(toronto.to_json(o) + b"\n" for o in df["obj"]))
        (tmp / "neighbourhoods.txt").write_text("\n".join(neighbourhoods) + "\n")
        (tmp / "vigil.toml").write_text(
            f'[public]\nneighbourhoods_file = "neighbourhoods.txt"\nstart = "{start}"\n'
            f"weekly_epsilon = {epsilon}\nweekly_horizon = {weeks}\ndaily_epsilon = 0.5\n"
            f"total_epsilon = {2 * (epsilon + 0.5)}\nnon_negative = true\narea_totals = false\n")
        out = subprocess.run([binary, "public", "export", "--config", str(tmp / "vigil.toml"), "--input", str(tmp / "incidents.ndjson"),
                              "--stream", "neighbourhood_category/week", "--format", "json"],
                             check=True, capture_output=True, text=True, timeout=1800)
    releases = [json.loads(line) for line in out.stdout.splitlines()]
    if len(releases) != weeks:
        raise SystemExit(f"expected {weeks} weekly releases, got {len(releases)}: {out.stderr}")
    v_count = np.zeros_like(true)
    v_total = np.zeros_like(true)
    for w, r in enumerate(releases):
        for f in r["figures"]:
            v_count[w, n_index[f["area"]], c_index[f["category"]]] = f["count"]
            v_total[w, n_index[f["area"]], c_index[f["category"]]] = f["running_total"]

    rng = np.random.default_rng(seed)
    naive_count = np.maximum(0, true + discrete_laplace(rng, 2 / epsilon, true.shape))
    naive_total = np.maximum(0, running + discrete_laplace(rng, 2 * weeks / epsilon, true.shape))
    cum_noisy = true + discrete_laplace(rng, 1 / epsilon, true.shape)
    cum_count = np.maximum(0, cum_noisy)
    cum_total = np.maximum(0, cum_noisy.cumsum(axis=0))
    return {
        "incidents": int(len(inside)), "weeks": weeks, "neighbourhoods": len(neighbourhoods), "epsilon": epsilon,
        "first_week": start, "noise_scale": releases[0]["noise_scale"], "vigil_stderr": out.stderr.strip(),
        "counts": {"vigil_tree": metrics(true, v_count), "naive_per_release": metrics(true, naive_count), "cumsum_of_counts": metrics(true, cum_count)},
        "running_totals": {"vigil_tree": metrics(running, v_total), "naive_per_release": metrics(running, naive_total), "cumsum_of_counts": metrics(running, cum_total)},
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epsilon", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=15, help="seed of the baselines' numpy noise (Vigil uses getrandom)")
    p.add_argument("--since", default="2014-01-06", help="first Monday counted (UTC); older records are left out")
    p.add_argument("--json", help="write the result here too")
    a = p.parse_args()
    binary = os.environ.get("VIGIL_BINARY") or sys.exit("set VIGIL_BINARY to the vigil executable")
    result = run(binary, a.epsilon, a.seed, a.since)
    text = json.dumps(result, indent=2)
    print(text)
    if a.json:
        Path(a.json).write_text(text + "\n")


if __name__ == "__main__":
    main()
