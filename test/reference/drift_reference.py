"""Reference drift/skew statistics, computed with scipy/numpy independently of ProdML.

usage: /usr/bin/python3 drift_reference.py < pairs.json
pairs.json is a list of {"p": counts, "q": counts} on the same bins (p the baseline).
Prints a JSON list with, per pair:
  js         scipy.spatial.distance.jensenshannon(p, q, base=2)  (a distance: sqrt of the divergence)
  linf       max |p/sum(p) - q/sum(q)|, and linf_index its first argmax
  psi        sum (a - e) ln(a / e) with shares floored at epsilon (default 1e-4), e = p, a = q
"""
import json
import sys

import numpy as np
from scipy.spatial.distance import jensenshannon

pairs = json.load(sys.stdin)
out = []
for pair in pairs:
    p = np.asarray(pair["p"], dtype=float)
    q = np.asarray(pair["q"], dtype=float)
    eps = float(pair.get("epsilon", 1e-4))
    pn, qn = p / p.sum(), q / q.sum()
    diff = np.abs(pn - qn)
    e, a = np.maximum(pn, eps), np.maximum(qn, eps)
    out.append(
        {
            "js": float(jensenshannon(p, q, base=2)),
            "linf": float(diff.max()),
            "linf_index": int(diff.argmax()),
            "psi": float(np.sum((a - e) * np.log(a / e))),
        }
    )
print(json.dumps(out))
