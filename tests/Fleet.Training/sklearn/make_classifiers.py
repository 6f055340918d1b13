"""Trains small scikit-learn classifiers on iris and writes them as ONNX graphs shaped like skl2onnx's default export.

skl2onnx is not installable on the machines these tests are built on (Debian ships scikit-learn and onnx, no
converter), so this script writes the graph a default skl2onnx export produces, with onnx.helper:
an ai.onnx.ml classifier node (LinearClassifier / TreeEnsembleClassifier) giving `label` and `probabilities`,
then `Cast(label) -> output_label` (INT64 [N], or `Identity` for string labels, STRING [N]) and
`ZipMap(probabilities) -> output_probability`, a `seq(map(int64|string, float))`. The structure, names, types and
opsets (ai.onnx 9, ai.onnx.ml 1, IR 8) are those of `shared/data/sklearn/wine-gbc-zipmap.onnx`, a real skl2onnx 1.14
export. Expected outputs are scikit-learn's own `predict` and `predict_proba` on the same float32 rows.

Also writes `sequence-output.onnx`, a graph whose output is a sequence of tensors that is not a ZipMap (a model a
server cannot return as a tensor), and `expected.json`.

Run with Debian's python3 (python3-sklearn 1.2.1, python3-onnx 1.12.0, python3-numpy):
    /usr/bin/python3 make_classifiers.py          # writes next to this script; byte-identical on a re-run
"""

import json
import os

import numpy as np
from onnx import TensorProto, TypeProto, helper, save_model
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

HERE = os.path.dirname(os.path.abspath(__file__))
ROWS = 8


def opsets():
    return [helper.make_opsetid("", 9), helper.make_opsetid("ai.onnx.ml", 1)]


def map_type(key_type):
    # onnx 1.12's helper has no make_map_type_proto.
    proto = TypeProto()
    proto.map_type.key_type = key_type
    proto.map_type.value_type.CopyFrom(helper.make_tensor_type_proto(TensorProto.FLOAT, None))
    return proto


def model_of(name, nodes, n_features, label_type, key_type, extra_outputs=()):
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info("float_input", TensorProto.FLOAT, [None, n_features])],
        [
            helper.make_tensor_value_info("output_label", label_type, [None]),
            helper.make_value_info(
                "output_probability",
                helper.make_sequence_type_proto(map_type(key_type)),
            ),
            *extra_outputs,
        ],
    )
    model = helper.make_model(graph, opset_imports=opsets(), producer_name="fleet make_classifiers.py", ir_version=8)
    return model


def linear(clf, n_features):
    # LogisticRegression (multinomial): scores = X W^T + b, softmax; skl2onnx adds an L1 Normalizer after it.
    classes = [int(c) for c in clf.classes_]
    nodes = [
        helper.make_node(
            "LinearClassifier", ["float_input"], ["label", "probability_tensor"], domain="ai.onnx.ml",
            coefficients=clf.coef_.astype(np.float32).ravel().tolist(),
            intercepts=clf.intercept_.astype(np.float32).tolist(),
            classlabels_ints=classes, multi_class=1, post_transform="SOFTMAX", name="LinearClassifier"),
        helper.make_node("Normalizer", ["probability_tensor"], ["probabilities"], domain="ai.onnx.ml", norm="L1", name="Normalizer"),
        helper.make_node("Cast", ["label"], ["output_label"], to=TensorProto.INT64, name="Cast"),
        helper.make_node("ZipMap", ["probabilities"], ["output_probability"], domain="ai.onnx.ml", classlabels_int64s=classes, name="ZipMap"),
    ]
    return model_of("iris-logreg-zipmap", nodes, n_features, TensorProto.INT64, TensorProto.INT64)


def tree_ensemble_attributes(clf):
    """The TreeEnsembleClassifier attributes of a fitted RandomForestClassifier: one tree per estimator, each leaf
    weighted by its class fractions / n_estimators, for every class."""
    attrs = {k: [] for k in ["nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_values", "nodes_modes",
                             "nodes_truenodeids", "nodes_falsenodeids", "nodes_missing_value_tracks_true", "nodes_hitrates",
                             "class_treeids", "class_nodeids", "class_ids", "class_weights"]}
    for t, estimator in enumerate(clf.estimators_):
        tree = estimator.tree_
        for node in range(tree.node_count):
            leaf = tree.children_left[node] == -1
            attrs["nodes_treeids"].append(t)
            attrs["nodes_nodeids"].append(node)
            attrs["nodes_featureids"].append(0 if leaf else int(tree.feature[node]))
            attrs["nodes_values"].append(0.0 if leaf else float(np.float32(tree.threshold[node])))
            attrs["nodes_modes"].append("LEAF" if leaf else "BRANCH_LEQ")
            attrs["nodes_truenodeids"].append(0 if leaf else int(tree.children_left[node]))
            attrs["nodes_falsenodeids"].append(0 if leaf else int(tree.children_right[node]))
            attrs["nodes_missing_value_tracks_true"].append(0)
            attrs["nodes_hitrates"].append(1.0)
            if leaf:
                counts = tree.value[node][0]
                for c, count in enumerate(counts):
                    attrs["class_treeids"].append(t)
                    attrs["class_nodeids"].append(node)
                    attrs["class_ids"].append(c)
                    attrs["class_weights"].append(float(count / counts.sum() / len(clf.estimators_)))
    return attrs


def forest(clf, n_features):
    # RandomForestClassifier: one tree per estimator, each leaf weighted by its class fractions / n_estimators.
    classes = [str(c) for c in clf.classes_]
    attrs = tree_ensemble_attributes(clf)
    nodes = [
        helper.make_node("TreeEnsembleClassifier", ["float_input"], ["label", "probabilities"], domain="ai.onnx.ml",
                         classlabels_strings=classes, post_transform="NONE", name="TreeEnsembleClassifier", **attrs),
        helper.make_node("Identity", ["label"], ["output_label"], name="Identity"),
        helper.make_node("ZipMap", ["probabilities"], ["output_probability"], domain="ai.onnx.ml", classlabels_strings=classes, name="ZipMap"),
    ]
    return model_of("iris-forest-zipmap", nodes, n_features, TensorProto.STRING, TensorProto.STRING)


def sequence_output(n_features):
    nodes = [helper.make_node("SequenceConstruct", ["float_input"], ["rows"], name="SequenceConstruct")]
    graph = helper.make_graph(
        nodes, "sequence-output",
        [helper.make_tensor_value_info("float_input", TensorProto.FLOAT, [None, n_features])],
        [helper.make_value_info("rows", helper.make_sequence_type_proto(helper.make_tensor_type_proto(TensorProto.FLOAT, None)))])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)], producer_name="fleet make_classifiers.py", ir_version=8)


def case(clf, rows, labels):
    return {
        "inputs": {"float_input": {"datatype": "FP32", "shape": list(rows.shape), "data": [float(v) for v in rows.ravel()]}},
        "classes": labels,
        "output_label": [labels[i] for i in clf.predict_proba(rows).argmax(axis=1)],
        "sklearn_predict": [c.item() if hasattr(c, "item") else str(c) for c in clf.predict(rows)],
        "output_probability": clf.predict_proba(rows).tolist(),
    }


def main():
    iris = load_iris()
    x = iris.data.astype(np.float32)
    x_train, x_test, y_train, y_test = train_test_split(x, iris.target, test_size=0.25, random_state=0, stratify=iris.target)
    rows = x_test[:ROWS]

    logreg = LogisticRegression(max_iter=1000, random_state=0).fit(x_train, y_train)
    names = np.array(iris.target_names)
    rf = RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0).fit(x_train, names[y_train])

    save_model(linear(logreg, x.shape[1]), os.path.join(HERE, "iris-logreg-zipmap.onnx"))
    save_model(forest(rf, x.shape[1]), os.path.join(HERE, "iris-forest-zipmap.onnx"))
    save_model(sequence_output(x.shape[1]), os.path.join(HERE, "sequence-output.onnx"))

    expected = {
        "iris-logreg-zipmap.onnx": case(logreg, rows, [int(c) for c in logreg.classes_]),
        "iris-forest-zipmap.onnx": case(rf, rows, [str(c) for c in rf.classes_]),
    }
    with open(os.path.join(HERE, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
