"""scikit-learn side of `npm run bench:scale` (Debian's python3-sklearn): the same job as ProdML's
logistic model on the same rows. Reads the CSV copy (Debian has no pyarrow), splits by time as
ProdML does (rows before the date at rank floor(n * (1 - eval_fraction)) train), standardizes the
numbers (mean imputation), one-hot encodes the categories, runs SGDClassifier(log_loss) for
`epochs` partial_fit passes and scores the held-out rows. One JSON document on stdout."""
import json
import math
import sys
import time

import numpy as np
import pandas as pd
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import OneHotEncoder

csv, epochs, numeric, cats = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(","), sys.argv[4].split(",")
t0 = time.perf_counter()
df = pd.read_csv(csv, dtype={c: str for c in cats} | {"event_date": str})
n = len(df)
times = np.sort(df["event_date"].to_numpy())
cut = times[min(n - 1, math.floor(n * 0.8))]
is_train = (df["event_date"] < cut).to_numpy()
train, test = df[is_train], df[~is_train]
raw = train[numeric].to_numpy(dtype=float)
mean = np.nanmean(raw, axis=0)
std = np.nanstd(np.where(np.isnan(raw), mean, raw), axis=0)
std[std == 0] = 1
onehot = OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit(train[cats].fillna("").to_numpy())


def encode(part):
    x = part[numeric].to_numpy(dtype=float)
    x = (np.where(np.isnan(x), mean, x) - mean) / std
    return np.ascontiguousarray(np.hstack([x, onehot.transform(part[cats].fillna("").to_numpy())]))


x_train, y_train = encode(train), train["label"].to_numpy()
x_test, y_test = encode(test), test["label"].to_numpy()
load_s = time.perf_counter() - t0
sgd = SGDClassifier(loss="log_loss", random_state=42)
epoch_s = []
for _ in range(epochs):
    t = time.perf_counter()
    sgd.partial_fit(x_train, y_train, classes=np.array([0, 1]))
    epoch_s.append(time.perf_counter() - t)
auc = roc_auc_score(y_test, sgd.predict_proba(x_test)[:, 1])
json.dump({"load_s": load_s, "epoch_s": epoch_s, "auc": float(auc), "train": int(is_train.sum()), "eval": int((~is_train).sum())}, sys.stdout)
print()
