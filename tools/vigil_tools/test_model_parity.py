"""Parity of Vigil's Swift model scorers with the Python libraries that trained the models.

``vigil features`` builds the feature vectors of the Toronto ``test.csv`` incidents (30,000, run
with the binary named by ``VIGIL_BINARY``, which tools/test.sh sets; skipped when it is not set);
small XGBoost and scikit-learn models are trained on the earlier half and exported by the same
code as ``tools/train.py``; ``vigil score`` then scores ≥ 10,000 held-out rows plus rows placed
exactly on (and just below) split thresholds and rows with missing values, and every probability
must equal ``predict_proba`` within 1e-6. The shipped models in Config/models are checked too.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tools.vigil_tools import model as vm
from tools.vigil_tools.toronto import dataset_path

ROOT = Path(__file__).resolve().parents[2]
VIGIL = os.environ.get("VIGIL_BINARY")
pytestmark = pytest.mark.skipif(not VIGIL, reason="VIGIL_BINARY not set (tools/test.sh sets it)")
TOLERANCE = 1e-6


@pytest.fixture(scope="module")
def features(tmp_path_factory):
    out = tmp_path_factory.mktemp("parity") / "features.csv"
    vm.build_features(VIGIL, [str(dataset_path("test"))], str(out))
    frame, names = vm.read_features(str(out))
    frame = frame.sort_values(["event_time_ms", "id"], kind="stable").reset_index(drop=True)
    return frame, names


def edge_rows(held: pd.DataFrame, names: list[str], model_json: dict, seed: int = 1) -> pd.DataFrame:
    """Held-out rows with one feature set exactly on a split threshold (float32), just below one,
    and rows with a quarter of their values missing."""
    rng = np.random.default_rng(seed)
    base = held[names].to_numpy(dtype=np.float64)
    splits = set()
    for tree in model_json["learner"]["gradient_booster"]["model"]["trees"]:
        for left, index, cond in zip(tree["left_children"], tree["split_indices"], tree["split_conditions"]):
            if left != -1:
                splits.add((index, float(np.float32(cond))))
    splits = sorted(splits)
    rows = []
    for k, (index, threshold) in enumerate(splits):
        on = base[k % len(base)].copy()
        on[index] = threshold
        below = base[(k + 7) % len(base)].copy()
        below[index] = float(np.nextafter(np.float32(threshold), np.float32(-np.inf)))
        rows += [on, below]
    missing = base[rng.integers(0, len(base), 3000)].copy()
    missing[rng.random(missing.shape) < 0.25] = np.nan
    out = pd.DataFrame(np.vstack(rows + [missing]), columns=names)
    assert len(splits) > 100, "the test model should have many distinct splits"
    return out


def compare(swift: np.ndarray, python: np.ndarray, what: str) -> None:
    assert swift.shape == python.shape, what
    worst = float(np.max(np.abs(swift - python)))
    assert worst <= TOLERANCE, f"{what}: max |swift - python| = {worst:g}"


def test_swift_scores_equal_xgboost_and_sklearn(features, tmp_path):
    import xgboost as xgb

    frame, names = features
    half = len(frame) // 2
    train, held = frame.iloc[:half], frame.iloc[half:]
    assert len(held) >= 10_000
    y = train["label"].to_numpy()

    booster = xgb.XGBClassifier(n_estimators=60, max_depth=6, learning_rate=0.2, tree_method="hist", n_jobs=2,
                                random_state=0, objective="binary:logistic").fit(train[names], y)
    xgb_path = tmp_path / "xgb.json"
    vm.export_xgboost(booster.get_booster(), str(xgb_path), {"vigil_version": "parity"})
    logistic = vm.logistic_pipeline().fit(train[names].to_numpy(), y)
    lr_path = tmp_path / "logistic.json"
    vm.export_logistic(logistic, names, str(lr_path), {"vigil_version": "parity"})

    rows = pd.concat([held[names], edge_rows(held, names, json.loads(xgb_path.read_text()))], ignore_index=True)
    assert rows.isna().any(axis=1).sum() >= 1000
    csv = tmp_path / "rows.csv"
    vm.write_feature_csv(rows, names, str(csv))

    swift = vm.vigil_score(VIGIL, str(xgb_path), str(csv), str(tmp_path / "xgb.scores"))
    compare(swift, booster.predict_proba(rows)[:, 1].astype(np.float64), "XGBoost")
    swift = vm.vigil_score(VIGIL, str(lr_path), str(csv), str(tmp_path / "lr.scores"))
    compare(swift, logistic.predict_proba(rows.to_numpy())[:, 1], "logistic regression")

    # Alert explanations: Saabas contributions equal XGBoost's approx_contribs (float32 there).
    sample = rows.iloc[::7]
    sample_csv = tmp_path / "sample.csv"
    vm.write_feature_csv(sample, names, str(sample_csv))
    subprocess.run([VIGIL, "score", "--contributions", "--model", str(xgb_path), "--input", str(sample_csv),
                    "--output", str(tmp_path / "contrib.txt")], check=True)
    swift = np.loadtxt(tmp_path / "contrib.txt", delimiter=",", ndmin=2)[:, 1:]
    python = booster.get_booster().predict(xgb.DMatrix(sample, missing=np.nan), pred_contribs=True, approx_contribs=True)[:, :-1]
    worst = float(np.max(np.abs(swift - python)))
    assert worst <= 1e-4, f"contributions: max |swift - xgboost| = {worst:g}"
    # Logistic: coefficient x standardised (imputed) value.
    subprocess.run([VIGIL, "score", "--contributions", "--model", str(lr_path), "--input", str(sample_csv),
                    "--output", str(tmp_path / "lr-contrib.txt")], check=True)
    swift = np.loadtxt(tmp_path / "lr-contrib.txt", delimiter=",", ndmin=2)[:, 1:]
    z = logistic.named_steps["scale"].transform(logistic.named_steps["impute"].transform(sample.to_numpy()))
    compare(swift, z * logistic.named_steps["logistic"].coef_[0], "logistic contributions")


def test_shipped_models_fit_the_default_features_and_match_xgboost(features, tmp_path):
    import xgboost as xgb

    frame, names = features
    shipped = ROOT / "Config/models/near-repeat-xgboost.json"
    booster = xgb.Booster(model_file=str(shipped))
    assert booster.feature_names == names, "shipped model is stale: retrain with tools/train.py"
    logistic = json.loads((ROOT / "Config/models/near-repeat-logistic.json").read_text())
    assert logistic["format"] == vm.LOGISTIC_FORMAT and logistic["features"] == names
    held = frame.iloc[len(frame) // 2:]
    csv = tmp_path / "held.csv"
    vm.write_feature_csv(held, names, str(csv))
    swift = vm.vigil_score(VIGIL, str(shipped), str(csv), str(tmp_path / "shipped.scores"))
    compare(swift, booster.predict(xgb.DMatrix(held[names], missing=np.nan)).astype(np.float64), "shipped XGBoost")
