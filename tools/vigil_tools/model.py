"""Near-repeat risk model: feature files from ``vigil features``, model export in the formats
Vigil's Swift scorer reads (XGBoost JSON, ``vigil-logistic/1``), and the evaluation metrics.

Used by ``tools/train.py`` (training and the shipped model) and by the parity test
(``tools/vigil_tools/test_model_parity.py``).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

# Columns of ``vigil features`` output that are not features.
META = ["id", "event_time_ms", "label", "censored", "cell_x", "cell_y"]
LOGISTIC_FORMAT = "vigil-logistic/1"
DAY_MS = 86_400_000


def default_vigil() -> str:
    return os.environ.get("VIGIL_BINARY") or str(Path(__file__).resolve().parents[2] / ".build/release/vigil")


def build_features(vigil: str, inputs: Sequence[str], output: str, config: str | None = None,
                   radius: float = 250, horizon: str = "72h") -> None:
    cmd = [vigil, "features", "--quiet", "--output", output, "--radius", str(radius), "--horizon", horizon]
    for i in inputs:
        cmd += ["--input", str(i)]
    if config:
        cmd += ["--config", config]
    subprocess.run(cmd, check=True)


def read_features(path: str) -> tuple[pd.DataFrame, list[str]]:
    """The CSV as a frame (features float64, NaN for missing) and the feature names in order."""
    frame = pd.read_csv(path, na_values=["nan"], keep_default_na=False, dtype={"id": str})
    names = [c for c in frame.columns if c not in META]
    frame[names] = frame[names].astype(np.float64)
    return frame, names


def write_feature_csv(frame: pd.DataFrame, names: Sequence[str], path: str) -> None:
    """Features written so that Swift parses exactly the same doubles (repr round-trips)."""
    with open(path, "w") as f:
        f.write(",".join(names) + "\n")
        for row in frame[list(names)].to_numpy(dtype=np.float64):
            f.write(",".join("nan" if np.isnan(v) else repr(float(v)) for v in row) + "\n")


def export_xgboost(booster, path: str, attributes: dict[str, str]) -> None:
    booster.set_attr(**attributes)
    booster.save_model(path)


def export_logistic(pipeline, names: Sequence[str], path: str, attributes: dict[str, str]) -> None:
    """Writes a fitted Pipeline([SimpleImputer, StandardScaler, LogisticRegression]) as vigil-logistic/1."""
    imputer, scaler, lr = (pipeline.named_steps[k] for k in ("impute", "scale", "logistic"))
    assert lr.coef_.shape == (1, len(names)), "binary model over all features"
    doc = {
        "format": LOGISTIC_FORMAT,
        "features": list(names),
        "intercept": float(lr.intercept_[0]),
        "coefficients": [float(v) for v in lr.coef_[0]],
        "scaler": {"mean": [float(v) for v in scaler.mean_], "scale": [float(v) for v in scaler.scale_]},
        "impute": [float(v) for v in imputer.statistics_],
        "attributes": dict(attributes),
    }
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def logistic_pipeline(seed: int = 0):
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    return Pipeline([
        ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
        ("scale", StandardScaler()),
        ("logistic", LogisticRegression(C=1.0, max_iter=2000, random_state=seed)),
    ])


def vigil_score(vigil: str, model: str, csv: str, output: str) -> np.ndarray:
    subprocess.run([vigil, "score", "--model", model, "--input", csv, "--output", output], check=True)
    return np.loadtxt(output, dtype=np.float64, ndmin=1)


def hit_rates(frame: pd.DataFrame, cell_risk_fn, fractions=(0.05, 0.10), active: np.ndarray | None = None,
              grid_shape: tuple[int, int] = (171, 125)) -> dict[float, float]:
    """Daily hit rate of a cell map: each evaluation day, the top ``fraction`` of the active cells
    by ``cell_risk_fn(day_start_ms)`` (a dense (columns, rows) array; ties broken by a fixed random
    order) and the share of that day's incidents that fall in them, pooled over days."""
    cols, rows = grid_shape
    rng = np.random.default_rng(12345)
    tiebreak = rng.random(cols * rows)
    if active is None:
        active = np.ones(cols * rows, dtype=bool)
    active_idx = np.flatnonzero(active)
    day = frame["event_time_ms"].to_numpy() // DAY_MS
    flat = (frame["cell_x"].to_numpy() * rows + frame["cell_y"].to_numpy())
    inside = (frame["cell_x"].to_numpy() >= 0) & (frame["cell_x"].to_numpy() < cols) & (frame["cell_y"].to_numpy() >= 0) & (frame["cell_y"].to_numpy() < rows)
    hits = {f: 0 for f in fractions}
    total = 0
    for d in np.unique(day):
        today = flat[(day == d) & inside]
        risk = cell_risk_fn(int(d) * DAY_MS).reshape(-1)
        order = active_idx[np.lexsort((tiebreak[active_idx], -risk[active_idx]))]
        total += len(today)
        for f in fractions:
            chosen = np.zeros(cols * rows, dtype=bool)
            chosen[order[: int(round(f * len(active_idx)))]] = True
            hits[f] += int(chosen[today].sum())
    return {f: hits[f] / max(total, 1) for f in fractions}
