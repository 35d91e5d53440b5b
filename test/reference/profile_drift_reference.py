"""Drift measures of two CSV files computed from their rows, independently of ProdML.

usage: /usr/bin/python3 profile_drift_reference.py < request.json
request.json: {"base": csv path, "compare": csv path, "numeric": [column, ...], "categorical": [column, ...]}
Numeric columns are binned over the range of both files by the rule sharedBinning documents (src/core/data/profile.ts):
one bin per integer when every value is an integer and they span at most 40 integers,
else 20 equal bins from the smallest to the largest value; counted with numpy.histogram and
compared with scipy.spatial.distance.jensenshannon(base=2). Categorical columns are
counted per value (empty cells are missing and skipped); L-infinity is max |share_p - share_q|
over the union of values. Prints {column: distance}.
"""
import csv
import json
import sys
from collections import Counter

import numpy as np
from scipy.spatial.distance import jensenshannon

req = json.load(sys.stdin)


def column(path, name):
    with open(path, newline="") as f:
        return [row[name] for row in csv.DictReader(f) if row[name] != ""]


out = {}
for name in req["numeric"]:
    a = np.array([float(x) for x in column(req["base"], name)])
    b = np.array([float(x) for x in column(req["compare"], name)])
    lo, hi = min(a.min(), b.min()), max(a.max(), b.max())
    integers = np.all(np.concatenate([a, b]) % 1 == 0)
    bins, span = (int(hi - lo + 1), (lo - 0.5, hi + 0.5)) if integers and hi - lo + 1 <= 40 else (20, (lo, hi))
    p, _ = np.histogram(a, bins=bins, range=span)
    q, _ = np.histogram(b, bins=bins, range=span)
    out[name] = float(jensenshannon(p, q, base=2))
for name in req["categorical"]:
    p, q = Counter(column(req["base"], name)), Counter(column(req["compare"], name))
    np_, nq = sum(p.values()), sum(q.values())
    out[name] = max(abs(p[v] / np_ - q[v] / nq) for v in set(p) | set(q))
json.dump(out, sys.stdout)
