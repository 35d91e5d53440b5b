"""Reference evaluation metrics, computed with scikit-learn/numpy/pandas independently of ProdML.

usage: /usr/bin/python3 metrics_reference.py cases.json > results.json
cases.json is a list of cases, each {"id", "kind": regression|binary|multiclass, "y", "w" (or null), ...}:
  regression  "pred"; optional "hist_bins", "inputs": {name: values (null = missing)}, "input_bins"
  binary      "score", "threshold", "n_bins"; the predicted class is score >= threshold
  multiclass  "proba" (rows of K probabilities)
Prints a JSON list with one object of metrics per case; null marks a metric sklearn refuses
(ROC AUC with one class).
"""
import json
import sys
import warnings

import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    brier_score_loss,
    confusion_matrix,
    f1_score,
    log_loss,
    mean_absolute_error,
    mean_squared_error,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
)

warnings.simplefilter("ignore")  # zero_division and one-class warnings are expected in edge cases

QUANTILES = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99]


def regression(case, y, w):
    pred = np.asarray(case["pred"], dtype=float)
    res = y - pred
    counts, edges = np.histogram(res, bins=case.get("hist_bins", 20))
    out = {
        "rmse": mean_squared_error(y, pred, sample_weight=w, squared=False),
        "mae": mean_absolute_error(y, pred, sample_weight=w),
        "r2": r2_score(y, pred, sample_weight=w),
        "mean_residual": np.average(res, weights=w),
        "hist_edges": edges.tolist(),
        "hist_counts": counts.tolist(),
        "quantiles": np.quantile(res, QUANTILES).tolist(),
        "inputs": {},
    }
    weights = np.ones_like(y) if w is None else w
    for name, values in case.get("inputs", {}).items():
        bins = []
        if all(v is None or isinstance(v, (int, float)) for v in values):
            x = np.array([np.nan if v is None else v for v in values], dtype=float)
            present = ~np.isnan(x)
            edges = np.histogram_bin_edges(x[present], bins=case.get("input_bins", 10))
            idx = np.searchsorted(edges, x, side="right") - 1
            idx[x == edges[-1]] = len(edges) - 2
            for b in range(len(edges) - 1):
                m = present & (idx == b)
                mean = np.average(res[m], weights=weights[m]) if m.any() else None
                bins.append({"lower": edges[b], "upper": edges[b + 1], "count": int(m.sum()), "mean_residual": mean})
            if (~present).any():
                m = ~present
                bins.append({"label": "(missing)", "count": int(m.sum()), "mean_residual": np.average(res[m], weights=weights[m])})
        else:
            frame = pd.DataFrame({"v": values, "r": res, "w": weights})
            frame["wr"] = frame["w"] * frame["r"]
            g = frame.groupby("v", dropna=False).agg(count=("r", "size"), wr=("wr", "sum"), w=("w", "sum"))
            for value, row in g.iterrows():
                label = "(missing)" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
                bins.append({"label": label, "count": int(row["count"]), "mean_residual": row["wr"] / row["w"]})
        out["inputs"][name] = bins
    return out


def binary(case, y, w):
    score = np.asarray(case["score"], dtype=float)
    pred = (score >= case.get("threshold", 0.5)).astype(int)
    try:
        auc = roc_auc_score(y, score, sample_weight=w)
    except ValueError:
        auc = None
    n_bins = case.get("n_bins", 10)
    # calibration_curve has no sample_weight; the weighted bins use its binning with weighted means.
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    binids = np.searchsorted(edges[1:-1], score)
    weights = np.ones_like(score) if w is None else w
    wsum = np.bincount(binids, weights=weights, minlength=n_bins)
    count = np.bincount(binids, minlength=n_bins)
    keep = (count > 0) & (wsum > 0)
    mean_pred = np.bincount(binids, weights=weights * score, minlength=n_bins)[keep] / wsum[keep]
    observed = np.bincount(binids, weights=weights * y, minlength=n_bins)[keep] / wsum[keep]
    out = {
        "accuracy": accuracy_score(y, pred, sample_weight=w),
        "log_loss": log_loss(y, score, sample_weight=w, labels=[0, 1]),
        "auc": auc,
        "pr_auc": average_precision_score(y, score, sample_weight=w),
        "precision": precision_score(y, pred, sample_weight=w, zero_division=0),
        "recall": recall_score(y, pred, sample_weight=w, zero_division=0),
        "f1": f1_score(y, pred, sample_weight=w, zero_division=0),
        "brier": brier_score_loss(y, score, sample_weight=w),
        "calibration": {
            "lower": edges[:-1][keep].tolist(),
            "count": count[keep].tolist(),
            "mean_predicted": mean_pred.tolist(),
            "observed_rate": observed.tolist(),
        },
    }
    if w is None and len(np.unique(y)) == 2:
        prob_true, prob_pred = calibration_curve(y, score, n_bins=n_bins, strategy="uniform")
        out["calibration_sklearn"] = {"observed_rate": prob_true.tolist(), "mean_predicted": prob_pred.tolist()}
    return out


def multiclass(case, y, w):
    proba = np.asarray(case["proba"], dtype=float)
    k = proba.shape[1]
    pred = proba.argmax(axis=1)
    return {
        "accuracy": accuracy_score(y, pred, sample_weight=w),
        "log_loss": log_loss(y, proba, sample_weight=w, labels=list(range(k))),
        "macro_f1": f1_score(y, pred, average="macro", sample_weight=w, zero_division=0),
        "confusion_matrix": confusion_matrix(y, pred, labels=list(range(k)), sample_weight=w).tolist(),
    }


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    results = []
    for case in cases:
        y = np.asarray(case["y"], dtype=float if case["kind"] == "regression" else int)
        w = None if case.get("w") is None else np.asarray(case["w"], dtype=float)
        fn = {"regression": regression, "binary": binary, "multiclass": multiclass}[case["kind"]]
        results.append(fn(case, y, w))
    json.dump(finite(results), sys.stdout, default=float, allow_nan=False)


def finite(value):
    """NaN becomes null: JSON has no NaN."""
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    if isinstance(value, (float, np.floating)) and np.isnan(value):
        return None
    return value


main()
