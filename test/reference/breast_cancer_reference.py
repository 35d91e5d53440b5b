"""Reference for the checks on real data: sklearn's breast cancer table (569 tumours, 30 measurements).

usage:
  /usr/bin/python3 breast_cancer_reference.py write <dir> [--leak]
      writes <dir>/data/tumours.csv (30 measurements, snake_case, and `malignant` 0/1) and
      <dir>/prodml.yaml (binary, every measurement standardized, logistic model). With --leak,
      also `label_echo` = malignant + N(0, 0.1) (seeded), a planted leak, among the features.
  /usr/bin/python3 breast_cancer_reference.py importance <dir> <model> <eval_rows.json>
      loads the registered version 1 of <model> (tfjs layers JSON + weights.bin, transform.json:
      standardize only) as an sklearn estimator, and prints
      sklearn.inspection.permutation_importance(est, X_eval, y_eval, scoring="roc_auc",
      n_repeats=30, random_state=0) as {feature: [importances_mean, importances_std]}, plus the
      unpermuted roc_auc, on the held-out rows listed (0-based data rows).
"""
import json
import os
import sys

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_breast_cancer
from sklearn.inspection import permutation_importance
from sklearn.metrics import roc_auc_score


def names():
    return [n.replace(" ", "_") for n in load_breast_cancer().feature_names]


def write(d, leak):
    data = load_breast_cancer()
    cols = names()
    y = 1 - data.target  # sklearn: 0 = malignant
    os.makedirs(os.path.join(d, "data"), exist_ok=True)
    rng = np.random.default_rng(7)
    echo = y + rng.normal(0, 0.1, len(y))
    header = cols + (["label_echo"] if leak else []) + ["malignant"]
    with open(os.path.join(d, "data", "tumours.csv"), "w") as f:
        f.write(",".join(header) + "\n")
        for i in range(len(y)):
            vals = [repr(float(v)) for v in data.data[i]] + ([f"{echo[i]:.4f}"] if leak else []) + [str(int(y[i]))]
            f.write(",".join(vals) + "\n")
    feats = "\n".join(f"      {c}: standardize" for c in header[:-1])
    with open(os.path.join(d, "prodml.yaml"), "w") as f:
        f.write(
            "datasets:\n  tumours:\n    path: data/tumours.csv\n    label: malignant\n"
            "models:\n  tumour:\n    dataset: tumours\n    task: binary\n    features:\n"
            f"{feats}\n"
            "    split: {kind: random, eval_fraction: 0.3}\n"
            "    model: {type: logistic}\n"
            "    training: {epochs: 60, batch_size: 32, learning_rate: 0.05, seed: 1}\n"
        )


class Layers(BaseEstimator, ClassifierMixin):
    """A tfjs Sequential of Dense layers, read from its files, behind sklearn's estimator API."""

    def __init__(self, version_dir=None):
        self.version_dir = version_dir

    def fit(self, X=None, y=None):
        d = self.version_dir
        model = json.load(open(os.path.join(d, "model.json")))
        transform = json.load(open(os.path.join(d, "transform.json")))
        self.features_ = [f["name"] for f in transform["features"]]
        self.center_ = np.array([f["center"] for f in transform["features"]])
        self.scale_ = np.array([f["scale"] for f in transform["features"]])
        raw = np.fromfile(os.path.join(d, "weights.bin"), dtype="<f4")
        at, ws = 0, {}
        for w in model["weightsManifest"][0]["weights"]:
            n = int(np.prod(w["shape"]))
            ws[w["name"]] = raw[at : at + n].reshape(w["shape"]).astype(float)
            at += n
        self.layers_ = []
        for layer in model["modelTopology"]["config"]["layers"]:
            c = layer["config"]
            self.layers_.append((ws[c["name"] + "/kernel"], ws[c["name"] + "/bias"], c["activation"]))
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        h = (np.asarray(X, dtype=float) - self.center_) / self.scale_
        for k, b, act in self.layers_:
            h = h @ k + b
            h = np.maximum(h, 0) if act == "relu" else 1 / (1 + np.exp(-h)) if act == "sigmoid" else h
        p = h[:, 0]
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


def importance(d, model, rows_file):
    rows = json.load(open(rows_file))
    est = Layers(os.path.join(d, ".prodml", "registry", model, "1")).fit()
    table = np.genfromtxt(os.path.join(d, "data", "tumours.csv"), delimiter=",", names=True)
    X = np.column_stack([table[f] for f in est.features_])[rows]
    y = table["malignant"][rows].astype(int)
    r = permutation_importance(est, X, y, scoring="roc_auc", n_repeats=30, random_state=0)
    out = {f: [float(r.importances_mean[i]), float(r.importances_std[i])] for i, f in enumerate(est.features_)}
    print(json.dumps({"features": out, "auc": float(roc_auc_score(y, est.predict_proba(X)[:, 1]))}))


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2], "--leak" in sys.argv)
    elif sys.argv[1] == "importance":
        importance(sys.argv[2], sys.argv[3], sys.argv[4])
