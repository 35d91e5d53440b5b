"""scikit-learn side of `npm run bench:train` (Debian's python3-sklearn).

Reads the CSV copy of the benchmark Parquet (Debian has no pyarrow), splits it exactly as
ProdML's time split does (cut = the time at rank floor(n * (1 - eval_fraction)) of the sorted
times; earlier rows train, the rest evaluate), encodes it as ProdML's transforms do (mean
imputation, standardize, log then standardize, one-hot), and times:
  SGDClassifier(loss='log_loss'): one partial_fit pass over the training rows per epoch;
  MLPClassifier (the reference for ProdML's dnn): the same hidden layers, batch size, learning
    rate and epochs, no L2 penalty (ProdML's dnn has none), solvers 'sgd' and 'adam', one
    partial_fit pass per epoch, then eval ROC AUC;
  LogisticRegression (lbfgs): fit, then eval ROC AUC;
  HistGradientBoostingClassifier: fit on raw numbers and categorical codes, then eval ROC AUC.
Prints one JSON document on stdout; progress on stderr.
"""
import argparse
import json
import math
import sys
import time

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.metrics import roc_auc_score
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder


def say(msg):
    print(msg, file=sys.stderr, flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("csv")
    p.add_argument("--label", required=True)
    p.add_argument("--time-column", required=True)
    p.add_argument("--eval-fraction", type=float, default=0.2)
    p.add_argument("--numeric", required=True, help="comma-separated standardized columns")
    p.add_argument("--log", default="", help="comma-separated columns: ln(x + 1) then standardized")
    p.add_argument("--categorical", required=True, help="comma-separated one-hot columns")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--hidden", default="32,16", help="comma-separated MLP hidden layer sizes")
    p.add_argument("--batch", default="", help="comma-separated MLP batch sizes (none: no MLP)")
    p.add_argument("--learning-rate", type=float, default=0.01)
    a = p.parse_args()
    numeric = [c for c in a.numeric.split(",") if c]
    logs = [c for c in a.log.split(",") if c]
    cats = [c for c in a.categorical.split(",") if c]

    t0 = time.perf_counter()
    df = pd.read_csv(a.csv, dtype={c: str for c in cats} | {a.time_column: str})
    load_s = time.perf_counter() - t0
    n = len(df)
    # ProdML's time split (src/core/train/split.ts): rows sharing a time stay on one side.
    times = np.sort(df[a.time_column].to_numpy())
    cut = times[min(n - 1, math.floor(n * (1 - a.eval_fraction)))]
    is_train = (df[a.time_column] < cut).to_numpy()
    train, test = df[is_train], df[~is_train]
    y_train = train[a.label].astype(int).to_numpy()
    y_test = test[a.label].astype(int).to_numpy()
    say(f"sklearn: {len(train)} training rows, {len(test)} eval rows (cut {cut})")

    # The encoding ProdML's transforms produce, fitted on the training rows only.
    t0 = time.perf_counter()

    def numbers(part):
        cols = []
        for c in numeric + logs:
            v = part[c].astype(float).to_numpy()
            cols.append(v)
        return np.column_stack(cols)

    raw_train = numbers(train)
    raw_test = numbers(test)
    k = len(numeric)
    mean_raw = np.nanmean(raw_train, axis=0)

    def encode_numbers(raw):
        x = np.where(np.isnan(raw), mean_raw, raw)
        x[:, k:] = np.log(x[:, k:] + 1)
        return x

    enc_train = encode_numbers(raw_train)
    center = enc_train.mean(axis=0)
    scale = enc_train.std(axis=0)
    scale[scale == 0] = 1
    onehot = OneHotEncoder(handle_unknown="ignore", sparse_output=False, dtype=np.float64)
    onehot.fit(train[cats].fillna("").to_numpy())

    def encode(part, raw):
        return np.hstack([(encode_numbers(raw) - center) / scale, onehot.transform(part[cats].fillna("").to_numpy())])

    x_train = np.ascontiguousarray(encode(train, raw_train))
    x_test = np.ascontiguousarray(encode(test, raw_test))
    encode_s = time.perf_counter() - t0
    say(f"sklearn: encoded to {x_train.shape[1]} inputs in {encode_s:.2f} s")

    def timed_epochs(model, name):
        """One partial_fit pass over the training rows per epoch; the seconds of each."""
        times = []
        for e in range(a.epochs):
            t0 = time.perf_counter()
            model.partial_fit(x_train, y_train, classes=np.array([0, 1]))
            times.append(time.perf_counter() - t0)
            say(f"sklearn {name} epoch {e + 1}: {times[-1]:.3f} s")
        return times

    sgd = SGDClassifier(loss="log_loss", random_state=a.seed)
    epoch_times = timed_epochs(sgd, "SGD")
    sgd_auc = roc_auc_score(y_test, sgd.predict_proba(x_test)[:, 1])

    # float64 rows, as every model here gets them (sklearn's default from pandas and numpy).
    mlps = []
    hidden = tuple(int(h) for h in a.hidden.split(",") if h)
    for batch in [int(b) for b in a.batch.split(",") if b]:
        for solver in ("sgd", "adam"):
            mlp = MLPClassifier(hidden_layer_sizes=hidden, solver=solver, batch_size=batch, learning_rate_init=a.learning_rate, alpha=0.0, random_state=a.seed)
            times = timed_epochs(mlp, f"MLP {solver} batch {batch}")
            auc = roc_auc_score(y_test, mlp.predict_proba(x_test)[:, 1])
            say(f"sklearn MLP {solver} batch {batch}: AUC {auc:.5f}")
            mlps.append({"solver": solver, "batch": batch, "epoch_s": times, "auc": float(auc)})

    t0 = time.perf_counter()
    lr = LogisticRegression(max_iter=1000)
    lr.fit(x_train, y_train)
    lr_s = time.perf_counter() - t0
    lr_auc = roc_auc_score(y_test, lr.predict_proba(x_test)[:, 1])
    say(f"sklearn LogisticRegression: {lr_s:.2f} s, AUC {lr_auc:.5f}")

    # Gradient boosting takes the raw values: NaN natively, categories as codes.
    ordinal = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=np.nan)
    ordinal.fit(train[cats].to_numpy())
    h_train = np.hstack([raw_train, ordinal.transform(train[cats].to_numpy())])
    h_test = np.hstack([raw_test, ordinal.transform(test[cats].to_numpy())])
    mask = np.array([False] * raw_train.shape[1] + [True] * len(cats))
    t0 = time.perf_counter()
    hgb = HistGradientBoostingClassifier(categorical_features=mask, random_state=a.seed)
    hgb.fit(h_train, y_train)
    hgb_s = time.perf_counter() - t0
    hgb_auc = roc_auc_score(y_test, hgb.predict_proba(h_test)[:, 1])
    say(f"sklearn HistGradientBoosting: {hgb_s:.2f} s, AUC {hgb_auc:.5f}")

    import sklearn

    json.dump(
        {
            "sklearn_version": sklearn.__version__,
            "rows": {"train": int(is_train.sum()), "eval": int((~is_train).sum())},
            "inputs": int(x_train.shape[1]),
            "load_s": load_s,
            "encode_s": encode_s,
            "sgd": {"epoch_s": epoch_times, "auc": float(sgd_auc)},
            "mlp": mlps,
            "logistic_regression": {"fit_s": lr_s, "auc": float(lr_auc), "iterations": int(lr.n_iter_[0])},
            "hist_gradient_boosting": {"fit_s": hgb_s, "auc": float(hgb_auc), "iterations": int(hgb.n_iter_)},
        },
        sys.stdout,
    )
    print()


if __name__ == "__main__":
    main()
