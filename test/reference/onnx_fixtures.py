"""ONNX models made by the real producers, with the producers' own predictions, for ProdML's import tests.

usage: /usr/bin/python3 onnx_fixtures.py <out-dir>
Writes into <out-dir>:
  data.csv                      400 rows: t (daily timestamp), f1..f4 (floats), region (string),
                                y (0/1), segment (a|b|c), amount (float)
  torch_mlp.onnx                PyTorch MLP (standardization inside the graph), torch.onnx.export,
                                input x float[N,4], output prob float[N,1] = P(y=1)
  sklearn_logreg.onnx           LogisticRegression on f1..f4 as LinearClassifier, skl2onnx's
                                convention without ZipMap: label int64[N] + probabilities float[N,2]
  sklearn_logreg_zipmap.onnx    the same with skl2onnx's default ZipMap: output_label +
                                output_probability seq(map(int64, float))
  sklearn_multiclass.onnx       multinomial LogisticRegression of `segment`, one input per column
                                (f1..f4, float[N,1] each) -> Concat -> LinearClassifier (SOFTMAX),
                                string class labels
  torch_unsafe.onnx             the MLP plus 0.1*sqrt(f2): finite on the data, NaN for negative f2
  xgb_classifier.onnx           XGBClassifier (binary:logistic) from its JSON model to
                                TreeEnsembleClassifier (post_transform LOGISTIC)
  xgb_regressor.onnx            XGBRegressor of `amount` from its JSON model to TreeEnsembleRegressor
  bad_not_onnx.onnx             a text file
  bad_truncated.onnx            the first half of torch_mlp.onnx
  bad_unsupported_op.onnx       a valid graph with an op no runtime implements
  bad_string_input.onnx         input x string[N,4] (the data's numbers cannot feed it)
  predictions.json              {model: producer's predict_proba(.)[:, 1] / predict_proba / predict}
Everything is seeded; the same script writes the same files.
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(13)
N = 400
FEATURES = ["f1", "f2", "f3", "f4"]

# --- data --------------------------------------------------------------------------------------
f1 = rng.normal(0, 1, N)
f2 = rng.uniform(0, 10, N)
f3 = rng.poisson(3, N).astype(float)
f4 = rng.normal(5, 2, N)
X = np.round(np.column_stack([f1, f2, f3, f4]), 4)
z = 1.2 * X[:, 0] - 0.3 * (X[:, 1] - 5) + 0.4 * (X[:, 2] - 3) + rng.normal(0, 0.8, N)
y = (z > 0).astype(int)
segment = np.where(X[:, 0] + 0.2 * X[:, 3] > 1.3, "c", np.where(X[:, 1] > 5, "b", "a"))
amount = np.round(3 * X[:, 0] + 0.5 * X[:, 1] ** 1.5 - X[:, 2] + rng.normal(0, 0.5, N), 4)
regions = np.array(["north", "south", "east", "west"])[rng.integers(0, 4, N)]
with open(os.path.join(out, "data.csv"), "w") as fh:
    fh.write("t,f1,f2,f3,f4,region,y,segment,amount\n")
    for i in range(N):
        day = np.datetime64("2025-01-01") + i // 4
        fh.write(f"{day}T{(i % 4) * 6:02d}:00:00,{X[i,0]},{X[i,1]},{X[i,2]},{X[i,3]},{regions[i]},{y[i]},{segment[i]},{amount[i]}\n")
# ProdML feeds float32; the producers predict on exactly those values.
X32 = X.astype(np.float32)
predictions = {}


def save(model, name, producer, version):
    model.producer_name = producer
    model.producer_version = version
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, name))


# --- PyTorch MLP -------------------------------------------------------------------------------
import torch  # noqa: E402

torch.manual_seed(0)
torch.set_num_threads(1)


class Mlp(torch.nn.Module):
    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32))
        self.net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))

    def forward(self, x):
        return torch.sigmoid(self.net((x - self.mean) / self.std))


mlp = Mlp(X32.mean(axis=0), X32.std(axis=0))
opt = torch.optim.Adam(mlp.parameters(), lr=0.05)
xt, yt = torch.tensor(X32), torch.tensor(y, dtype=torch.float32).unsqueeze(1)
for _ in range(150):
    opt.zero_grad()
    loss = torch.nn.functional.binary_cross_entropy(mlp(xt), yt)
    loss.backward()
    opt.step()
mlp.eval()
with torch.no_grad():
    predictions["torch_mlp"] = mlp(xt).squeeze(1).double().tolist()
path = os.path.join(out, "torch_mlp.onnx")
torch.onnx.export(mlp, xt[:2], path, input_names=["x"], output_names=["prob"], dynamic_axes={"x": {0: "N"}, "prob": {0: "N"}}, opset_version=13)
m = onnx.load(path)
save(m, "torch_mlp.onnx", m.producer_name, m.producer_version)  # keeps torch's own producer fields

# The same MLP plus 0.1 * sqrt(f2): finite on the data (f2 >= 0), NaN for a negative f2.
class UnsafeMlp(torch.nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return torch.sigmoid(self.inner.net((x - self.inner.mean) / self.inner.std) + 0.1 * torch.sqrt(x[:, 1:2]))


path = os.path.join(out, "torch_unsafe.onnx")
torch.onnx.export(UnsafeMlp(mlp), xt[:2], path, input_names=["x"], output_names=["prob"], dynamic_axes={"x": {0: "N"}, "prob": {0: "N"}}, opset_version=13)

# --- scikit-learn LogisticRegression -> LinearClassifier (skl2onnx's convention) ---------------
import sklearn  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

OPSETS = [helper.make_opsetid("", 13), helper.make_opsetid("ai.onnx.ml", 1)]
lr = LogisticRegression(C=1.0, max_iter=1000).fit(X, y)
predictions["sklearn_logreg"] = lr.predict_proba(X32)[:, 1].tolist()
w, b = lr.coef_[0].astype(float), float(lr.intercept_[0])


def map_type(key, value):
    # onnx 1.12's helper has no make_map_type_proto.
    t = onnx.TypeProto()
    t.map_type.key_type = key
    t.map_type.value_type.CopyFrom(value)
    return t


def binary_linear(zipmap):
    # skl2onnx writes a binary LogisticRegression as two score columns (-w, w) through LOGISTIC.
    nodes = [
        helper.make_node(
            "LinearClassifier", ["float_input"], ["label", "probability_tensor"], domain="ai.onnx.ml",
            coefficients=list(-w) + list(w), intercepts=[-b, b], classlabels_ints=[0, 1], post_transform="LOGISTIC",
        ),
        helper.make_node("Normalizer", ["probability_tensor"], ["probabilities"], domain="ai.onnx.ml", norm="L1"),
    ]
    outputs = [helper.make_tensor_value_info("label", TensorProto.INT64, ["N"])]
    if zipmap:
        nodes.append(helper.make_node("Identity", ["label"], ["output_label"]))
        nodes.append(helper.make_node("ZipMap", ["probabilities"], ["output_probability"], domain="ai.onnx.ml", classlabels_int64s=[0, 1]))
        outputs = [
            helper.make_tensor_value_info("output_label", TensorProto.INT64, ["N"]),
            helper.make_value_info("output_probability", helper.make_sequence_type_proto(map_type(TensorProto.INT64, helper.make_tensor_type_proto(TensorProto.FLOAT, [])))),
        ]
    else:
        outputs.append(helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 2]))
    graph = helper.make_graph(nodes, "LogisticRegression", [helper.make_tensor_value_info("float_input", TensorProto.FLOAT, ["N", 4])], outputs)
    return helper.make_model(graph, opset_imports=OPSETS)


save(binary_linear(False), "sklearn_logreg.onnx", "scikit-learn", sklearn.__version__)
save(binary_linear(True), "sklearn_logreg_zipmap.onnx", "scikit-learn", sklearn.__version__)

# Multinomial, one input per column, string class labels.
mc = LogisticRegression(C=1.0, max_iter=2000).fit(X, segment)
predictions["sklearn_multiclass"] = mc.predict_proba(X32).tolist()
predictions["sklearn_multiclass_classes"] = [str(c) for c in mc.classes_]
graph = helper.make_graph(
    [
        helper.make_node("Concat", FEATURES, ["float_input"], axis=1),
        helper.make_node(
            "LinearClassifier", ["float_input"], ["label", "probabilities"], domain="ai.onnx.ml",
            coefficients=mc.coef_.astype(float).ravel().tolist(), intercepts=mc.intercept_.astype(float).tolist(),
            classlabels_strings=[str(c) for c in mc.classes_], post_transform="SOFTMAX", multi_class=1,
        ),
    ],
    "LogisticRegressionMultinomial",
    [helper.make_tensor_value_info(f, TensorProto.FLOAT, ["N", 1]) for f in FEATURES],
    [helper.make_tensor_value_info("label", TensorProto.STRING, ["N"]), helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 3])],
)
save(helper.make_model(graph, opset_imports=OPSETS), "sklearn_multiclass.onnx", "scikit-learn", sklearn.__version__)

# --- XGBoost: its JSON model -> TreeEnsemble ---------------------------------------------------
import xgboost as xgb  # noqa: E402


def tree_attributes(booster, target_key):
    """Flattens the trees of an XGBoost JSON model into TreeEnsemble attributes."""
    model = json.loads(booster.save_raw("json"))["learner"]
    trees = model["gradient_booster"]["model"]["trees"]
    a = {k: [] for k in ["nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_values", "nodes_modes", "nodes_truenodeids", "nodes_falsenodeids", "nodes_missing_value_tracks_true", "nodes_hitrates"]}
    t = {f"{target_key}_treeids": [], f"{target_key}_nodeids": [], f"{target_key}_ids": [], f"{target_key}_weights": []}
    for tid, tree in enumerate(trees):
        left, right, cond, feat, dleft = tree["left_children"], tree["right_children"], tree["split_conditions"], tree["split_indices"], tree["default_left"]
        for nid in range(len(left)):
            leaf = left[nid] == -1
            a["nodes_treeids"].append(tid)
            a["nodes_nodeids"].append(nid)
            a["nodes_featureids"].append(0 if leaf else feat[nid])
            a["nodes_values"].append(0.0 if leaf else cond[nid])
            # XGBoost goes left when x < split_condition; missing values go the default way.
            a["nodes_modes"].append("LEAF" if leaf else "BRANCH_LT")
            a["nodes_truenodeids"].append(0 if leaf else left[nid])
            a["nodes_falsenodeids"].append(0 if leaf else right[nid])
            a["nodes_missing_value_tracks_true"].append(0 if leaf else int(dleft[nid]))
            a["nodes_hitrates"].append(1.0)
            if leaf:
                t[f"{target_key}_treeids"].append(tid)
                t[f"{target_key}_nodeids"].append(nid)
                t[f"{target_key}_ids"].append(0)
                t[f"{target_key}_weights"].append(cond[nid])
    base = float(model["learner_model_param"]["base_score"])
    return a, t, base


params = dict(n_estimators=20, max_depth=3, learning_rate=0.3, tree_method="exact", base_score=0.5, random_state=0)
clf = xgb.XGBClassifier(objective="binary:logistic", **params).fit(X32, y)
predictions["xgb_classifier"] = clf.predict_proba(X32)[:, 1].astype(float).tolist()
a, t, base = tree_attributes(clf.get_booster(), "class")
graph = helper.make_graph(
    [helper.make_node("TreeEnsembleClassifier", ["input"], ["label", "probabilities"], domain="ai.onnx.ml", classlabels_int64s=[0, 1], post_transform="LOGISTIC", base_values=[float(np.log(base / (1 - base)))], **a, **t)],
    "XGBClassifier",
    [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 4])],
    [helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]), helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 2])],
)
save(helper.make_model(graph, opset_imports=OPSETS), "xgb_classifier.onnx", "xgboost", xgb.__version__)

reg = xgb.XGBRegressor(objective="reg:squarederror", **{**params, "base_score": float(np.mean(amount))}).fit(X32, amount)
predictions["xgb_regressor"] = reg.predict(X32).astype(float).tolist()
a, t, base = tree_attributes(reg.get_booster(), "target")
graph = helper.make_graph(
    [helper.make_node("TreeEnsembleRegressor", ["input"], ["variable"], domain="ai.onnx.ml", n_targets=1, base_values=[base], **a, **t)],
    "XGBRegressor",
    [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 4])],
    [helper.make_tensor_value_info("variable", TensorProto.FLOAT, ["N", 1])],
)
save(helper.make_model(graph, opset_imports=OPSETS), "xgb_regressor.onnx", "xgboost", xgb.__version__)

# --- bad files ---------------------------------------------------------------------------------
with open(os.path.join(out, "bad_not_onnx.onnx"), "w") as fh:
    fh.write("t,f1,f2\n2025-01-01,1,2\n")
with open(os.path.join(out, "torch_mlp.onnx"), "rb") as fh:
    whole = fh.read()
with open(os.path.join(out, "bad_truncated.onnx"), "wb") as fh:
    fh.write(whole[: len(whole) // 2])
graph = helper.make_graph(
    [helper.make_node("FancyScore", ["x"], ["y"], domain="com.example.custom")],
    "Custom",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 1])],
)
m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("com.example.custom", 1)])
m.producer_name = "example"
onnx.save(m, os.path.join(out, "bad_unsupported_op.onnx"))
graph = helper.make_graph(
    [helper.make_node("LabelEncoder", ["x"], ["y"], domain="ai.onnx.ml", keys_strings=["a", "b"], values_int64s=[0, 1], default_int64=-1)],
    "Strings",
    [helper.make_tensor_value_info("x", TensorProto.STRING, ["N", 4])],
    [helper.make_tensor_value_info("y", TensorProto.INT64, ["N", 4])],
)
save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("ai.onnx.ml", 2)]), "bad_string_input.onnx", "example", "1")

with open(os.path.join(out, "predictions.json"), "w") as fh:
    json.dump(predictions, fh)
