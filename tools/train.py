#!/usr/bin/env python3
"""Trains Vigil's near-repeat risk models from the real Toronto data and writes the shipped files.

    tools/train.py                      # reproduces Config/models/* and docs/model-metrics.{json,md}

Steps: ``vigil features`` replays the incidents through the engine (features from the past,
labels from the future: another incident within 250 m in the next 72 h); rows are split by time
(train 2014-03 .. 2019, evaluate 2020 .. 2021, censored rows dropped); a standardised logistic
regression (scikit-learn) and gradient-boosted trees (XGBoost) are fitted with fixed seeds and a
fixed thread count; both are evaluated against the baseline score (the 28-day rolling count in the
incident's cell) by ROC AUC, average precision and PAI / hit rate at 5% and 10% of the area.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from tools.vigil_tools import model as vm
from tools.vigil_tools.toronto import dataset_path

ROOT = Path(__file__).resolve().parents[1]

SEED = 0
THREADS = 2
XGB_PARAMS = dict(n_estimators=250, max_depth=5, learning_rate=0.05, subsample=0.8, colsample_bytree=0.8,
                  min_child_weight=20, reg_lambda=1.0, tree_method="hist", objective="binary:logistic",
                  random_state=SEED, n_jobs=THREADS, eval_metric="logloss")


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--vigil", default=vm.default_vigil(), help="vigil binary (default: $VIGIL_BINARY or .build/release/vigil)")
    p.add_argument("--input", action="append", help="incident files (default: the Toronto train.csv and test.csv)")
    p.add_argument("--config", help="vigil configuration whose engine sections shape the features (default: built-in)")
    p.add_argument("--features", help="use this feature CSV instead of running vigil features")
    p.add_argument("--radius", type=float, default=250.0)
    p.add_argument("--horizon-hours", type=int, default=72)
    p.add_argument("--train-start", default="2014-03-01", help="first training day (the first two months warm the windows up)")
    p.add_argument("--split", default="2020-01-01", help="training before, evaluation from this day (UTC)")
    p.add_argument("--alert-share", type=float, default=0.05, help="share of evaluation incidents the threshold flags")
    p.add_argument("--out-dir", default=str(ROOT / "Config/models"))
    p.add_argument("--report", default=str(ROOT / "docs/model-metrics"), help="writes REPORT.json and REPORT.md")
    args = p.parse_args(argv)

    import sklearn
    import xgboost as xgb
    from sklearn.metrics import average_precision_score, roc_auc_score

    with tempfile.TemporaryDirectory() as tmp:
        features = args.features
        if not features:
            features = f"{tmp}/features.csv"
            inputs = args.input or [str(dataset_path("train")), str(dataset_path("test"))]
            vm.build_features(args.vigil, inputs, features, args.config, args.radius, f"{args.horizon_hours}h")
        frame, names = vm.read_features(features)

    t = frame["event_time_ms"].to_numpy()
    usable = frame["censored"].to_numpy() == 0
    train = usable & (t >= ms(args.train_start)) & (t < ms(args.split))
    test = usable & (t >= ms(args.split))
    X, y = frame[names], frame["label"].to_numpy()
    print(f"train rows {train.sum()} (positive {y[train].mean():.3f}), test rows {test.sum()} (positive {y[test].mean():.3f}), "
          f"{len(names)} features", file=sys.stderr)

    booster_model = xgb.XGBClassifier(**XGB_PARAMS)
    booster_model.fit(X[train], y[train])
    logistic = vm.logistic_pipeline(SEED).fit(X[train].to_numpy(), y[train])

    scores = {
        "xgboost": booster_model.predict_proba(X)[:, 1],
        "logistic": logistic.predict_proba(X.to_numpy())[:, 1],
        "baseline_cell_28d": frame["cell_28d"].to_numpy(dtype=np.float64),
    }

    # Cell maps for PAI: each evaluation day, cells are ranked by the highest score of an incident
    # in their 3x3 block within the last horizon (the area a high-risk alert points at), for the
    # models and for the baseline score alike; the classic 28-day count map of all cells is shown too.
    cols, rows = 171, 125
    cx, cy = frame["cell_x"].to_numpy(), frame["cell_y"].to_numpy()
    inside = (cx >= 0) & (cx < cols) & (cy >= 0) & (cy < rows)
    flat = np.where(inside, cx * rows + cy, -1)
    active = np.zeros(cols * rows, dtype=bool)
    active[flat[train & inside]] = True
    horizon_ms = args.horizon_hours * 3_600_000
    order = np.argsort(t, kind="stable")
    ts, flats = t[order], flat[order]

    def baseline_map(start: int) -> np.ndarray:
        lo, hi = np.searchsorted(ts, [start - 28 * vm.DAY_MS, start])
        sel = flats[lo:hi]
        return np.bincount(sel[sel >= 0], minlength=cols * rows).astype(np.float64)

    def model_map(score):
        s = score[order]

        def risk(start: int) -> np.ndarray:
            lo, hi = np.searchsorted(ts, [start - horizon_ms, start])
            out = np.zeros((cols, rows))
            for f, v in zip(flats[lo:hi], s[lo:hi]):
                if f < 0:
                    continue
                x, yy = divmod(int(f), rows)
                block = out[max(x - 1, 0):x + 2, max(yy - 1, 0):yy + 2]
                np.maximum(block, v, out=block)
            return out
        return risk

    eval_frame = frame[test]
    metrics = {}
    for name, score in scores.items():
        hits = vm.hit_rates(eval_frame, model_map(score), active=active, grid_shape=(cols, rows))
        metrics[name] = {
            "roc_auc": float(roc_auc_score(y[test], score[test])),
            "average_precision": float(average_precision_score(y[test], score[test])),
            "hit_rate_5": hits[0.05], "pai_5": hits[0.05] / 0.05,
            "hit_rate_10": hits[0.10], "pai_10": hits[0.10] / 0.10,
        }
        print(name, json.dumps(metrics[name]), file=sys.stderr)

    classic = vm.hit_rates(eval_frame, baseline_map, active=active, grid_shape=(cols, rows))
    metrics["count_map_28d"] = {"hit_rate_5": classic[0.05], "pai_5": classic[0.05] / 0.05,
                                "hit_rate_10": classic[0.10], "pai_10": classic[0.10] / 0.10}
    print("count_map_28d", json.dumps(metrics["count_map_28d"]), file=sys.stderr)

    # Threshold: flags the top `alert_share` of evaluation incidents (rounded down to 3 decimals).
    xs = scores["xgboost"][test].astype(np.float64)
    threshold = float(np.floor(np.quantile(xs, 1 - args.alert_share) * 1000) / 1000)
    flagged = xs >= threshold
    days = (t[test].max() - t[test].min()) / vm.DAY_MS
    alerting = {"threshold": threshold, "share_flagged": float(flagged.mean()), "precision": float(y[test][flagged].mean()),
                "base_rate": float(y[test].mean()), "alerts_per_day": float(flagged.sum() / days)}
    print("threshold", json.dumps(alerting), file=sys.stderr)

    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    version = f"near-repeat-{int(args.radius)}m-{args.horizon_hours}h-{args.split[:4]}"
    attributes = {"vigil_radius_m": str(int(args.radius)), "vigil_horizon_h": str(args.horizon_hours),
                  "vigil_train": f"{args.train_start}..{args.split}"}
    booster = booster_model.get_booster()
    booster.feature_names = list(names)
    vm.export_xgboost(booster, str(out / "near-repeat-xgboost.json"), {**attributes, "vigil_version": f"{version}-xgboost"})
    vm.export_logistic(logistic, names, str(out / "near-repeat-logistic.json"), {**attributes, "vigil_version": f"{version}-logistic"})

    report = {
        "target": {"radius_m": args.radius, "horizon_h": args.horizon_hours, "category": "any"},
        "split": {"train": [args.train_start, args.split], "evaluate_from": args.split,
                  "train_rows": int(train.sum()), "test_rows": int(test.sum()),
                  "train_positive_rate": float(y[train].mean()), "test_positive_rate": float(y[test].mean())},
        "metrics": metrics, "alerting": alerting, "features": names, "xgboost_params": {k: v for k, v in XGB_PARAMS.items()},
        "versions": {"xgboost": xgb.__version__, "scikit-learn": sklearn.__version__, "numpy": np.__version__},
        "active_cells": int(active.sum()),
    }
    report_path = Path(args.report)
    report_path.with_suffix(".json").write_text(json.dumps(report, indent=1) + "\n")
    label = {"xgboost": "XGBoost (shipped)", "logistic": "logistic regression", "baseline_cell_28d": "baseline: 28-day count in the cell",
             "count_map_28d": "context: 28-day count map of all cells (not a near-repeat score)"}
    lines = ["| score | ROC AUC | average precision | hit rate @5% area | PAI @5% | hit rate @10% area | PAI @10% |",
             "|---|---|---|---|---|---|---|"]
    for name, m in metrics.items():
        auc = f"{m['roc_auc']:.4f} | {m['average_precision']:.4f}" if "roc_auc" in m else "– | –"
        lines.append(f"| {label[name]} | {auc} | {m['hit_rate_5']:.3f} | {m['pai_5']:.2f} "
                     f"| {m['hit_rate_10']:.3f} | {m['pai_10']:.2f} |")
    report_path.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
