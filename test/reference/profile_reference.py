"""Reference statistics for a CSV, computed with pandas/numpy independently of ProdML/DuckDB.

usage: /usr/bin/python3 profile_reference.py data.csv edges.json
edges.json maps column name -> histogram edges to bin with (numpy.histogram semantics).
Prints one JSON document: per column count, missing, mean, std, min, max, quantiles (lower),
histogram counts, exact distinct and top value counts.
"""
import json
import sys

import numpy as np
import pandas as pd

LEVELS = {"p01": 0.01, "p05": 0.05, "p25": 0.25, "p50": 0.5, "p75": 0.75, "p95": 0.95, "p99": 0.99}

path, edges_path = sys.argv[1], sys.argv[2]
edges = json.load(open(edges_path))
df = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype=str)
out = {"rows": int(len(df)), "columns": {}}
for name in df.columns:
    s = df[name]
    present = s.dropna()
    col = {"count": int(present.size), "missing": int(s.isna().sum()), "distinct": int(present.nunique())}
    numeric = pd.to_numeric(present, errors="coerce")
    if name in edges and numeric.notna().all() and present.size > 0:
        v = numeric.to_numpy(dtype=float)
        col.update(
            mean=float(v.mean()),
            std=float(v.std(ddof=1)),
            min=float(v.min()),
            max=float(v.max()),
            quantiles={k: float(np.quantile(v, q, method="lower")) for k, q in LEVELS.items()},
            histogram=[int(c) for c in np.histogram(v, bins=np.array(edges[name], dtype=float))[0]],
        )
    else:
        vc = present.value_counts()
        col["top"] = {str(k): int(c) for k, c in vc.items()}
    out["columns"][name] = col
print(json.dumps(out))
