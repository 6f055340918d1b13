"""Trains binary scikit-learn classifiers of busy hours on the bike sharing data and writes them as ONNX graphs shaped
like skl2onnx's export with options={'zipmap': False}: outputs `label` (INT64 [N]) then `probabilities` (FP32 [N,2]).

skl2onnx is not installable on the machines these tests are built on (Debian ships scikit-learn and onnx, no
converter), so this script writes the graph skl2onnx writes, with onnx.helper: an ai.onnx.ml LinearClassifier (plus
its L1 Normalizer) or TreeEnsembleClassifier giving `label` and `probabilities` (opsets ai.onnx 17 and ai.onnx.ml 1,
IR 8, as `shared/data/sklearn/wine-gbc.onnx`, a real skl2onnx 1.14 export).

The task: is an hour busy (cnt >= 200 rentals)? Features are the 11 bike feature columns in file order, one
`float_input` [N, 11]. Rentals grew from 2011 to 2012, so the share of busy hours drifts (27% of 2011's hours,
53% of 2012's from March on).

- bike-busy-logreg-2011.onnx: LogisticRegression trained on Jan-May 2011 (the stale stable);
- bike-busy-forest-recent.onnx: RandomForestClassifier trained on Oct 2011-Feb 2012 (a better retrain);
- bike-busy-forest-shuffled.onnx: the same forest trained on shuffled labels (a pipeline bug).

Also writes bike-classifiers.json: each model's offline AUC and log loss on the hours from March 2012 on, and
scikit-learn's predict_proba for the first 8 of them (to check that the graph computes what scikit-learn does).

Run with Debian's python3 (python3-sklearn, python3-onnx, python3-numpy) from the repository root:
    /usr/bin/python3 tests/Fleet.Training/sklearn/make_bike_classifiers.py ../shared/data/bike_hour.csv
"""

import csv
import json
import os
import sys

import numpy as np
from onnx import TensorProto, helper, save_model
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score

from make_classifiers import tree_ensemble_attributes

HERE = os.path.dirname(os.path.abspath(__file__))
FEATURES = ["season", "mnth", "hr", "holiday", "weekday", "workingday", "weathersit", "temp", "atemp", "hum", "windspeed"]
BUSY = 200
ROWS = 8


def load(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    x = np.array([[float(r[c]) for c in FEATURES] for r in rows], dtype=np.float32)
    y = np.array([1 if int(r["cnt"]) >= BUSY else 0 for r in rows], dtype=np.int64)
    days = np.array([r["dteday"] for r in rows])
    return x, y, days


def model_of(name, nodes):
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info("float_input", TensorProto.FLOAT, [None, len(FEATURES)])],
        [
            helper.make_tensor_value_info("label", TensorProto.INT64, [None]),
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 2]),
        ],
    )
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 1)]
    return helper.make_model(graph, opset_imports=opsets, producer_name="fleet make_bike_classifiers.py", ir_version=8)


def linear(name, clf):
    # Binary LogisticRegression as skl2onnx 1.14 writes it (see shared/data/sklearn/shop-ct-strings.onnx): two rows of
    # coefficients (-w, w) and intercepts (-b, b), multi_class 1, a logistic per class, then an L1 normalizer, so the
    # columns are P(class 0) and P(class 1). (With multi_class 0, ONNX Runtime labels every row 1.)
    w = clf.coef_.astype(np.float32).ravel()
    b = float(clf.intercept_[0])
    nodes = [
        helper.make_node(
            "LinearClassifier", ["float_input"], ["label", "probability_tensor"], domain="ai.onnx.ml",
            coefficients=np.concatenate([-w, w]).tolist(), intercepts=[-b, b],
            classlabels_ints=[0, 1], multi_class=1, post_transform="LOGISTIC", name="LinearClassifier"),
        helper.make_node("Normalizer", ["probability_tensor"], ["probabilities"], domain="ai.onnx.ml", norm="L1", name="Normalizer"),
    ]
    return model_of(name, nodes)


def forest(name, clf):
    # RandomForestClassifier: every leaf weighted by its class fractions / n_estimators, for both classes. ONNX
    # Runtime (1.2x) computes these probabilities exactly but labels every row 1 in this two-class layout (and with only
    # the positive class's weights it leaves P(class 0) at 0), so the label is the ArgMax of the probabilities.
    attrs = tree_ensemble_attributes(clf)
    nodes = [
        helper.make_node("TreeEnsembleClassifier", ["float_input"], ["tree_label", "probabilities"], domain="ai.onnx.ml",
                         classlabels_int64s=[0, 1], post_transform="NONE", name="TreeEnsembleClassifier", **attrs),
        helper.make_node("ArgMax", ["probabilities"], ["label"], axis=1, keepdims=0, name="ArgMax"),
    ]
    return model_of(name, nodes)


def main():
    x, y, days = load(sys.argv[1])
    stale = (days >= "2011-01-01") & (days <= "2011-05-31")
    recent = (days >= "2011-10-01") & (days <= "2012-02-29")
    replay = days >= "2012-03-01"

    logreg = LogisticRegression(max_iter=5000, random_state=0).fit(x[stale], y[stale])
    better = RandomForestClassifier(n_estimators=20, max_depth=8, min_samples_leaf=5, random_state=0).fit(x[recent], y[recent])
    shuffled_labels = np.random.default_rng(0).permutation(y[recent])
    worse = RandomForestClassifier(n_estimators=20, max_depth=8, min_samples_leaf=5, random_state=0).fit(x[recent], shuffled_labels)

    models = {
        "bike-busy-logreg-2011.onnx": (logreg, linear("bike-busy-logreg-2011", logreg)),
        "bike-busy-forest-recent.onnx": (better, forest("bike-busy-forest-recent", better)),
        "bike-busy-forest-shuffled.onnx": (worse, forest("bike-busy-forest-shuffled", worse)),
    }
    summary = {"busy_threshold": BUSY, "features": FEATURES, "busy_share_2011": float(y[days < "2012-01-01"].mean()),
               "busy_share_replay": float(y[replay].mean()), "models": {}}
    rows = x[replay][:ROWS]
    for file, (clf, graph) in models.items():
        save_model(graph, os.path.join(HERE, file))
        p = clf.predict_proba(x[replay])
        summary["models"][file] = {
            "replay_auc": round(float(roc_auc_score(y[replay], p[:, 1])), 4),
            "replay_log_loss": round(float(log_loss(y[replay], p, labels=[0, 1])), 4),
            "rows": rows.tolist(),
            "predict_proba": clf.predict_proba(rows).tolist(),
        }
    with open(os.path.join(HERE, "bike-classifiers.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
