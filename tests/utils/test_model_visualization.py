"""Tests for ``utils.plot_model`` / ``utils.model_to_dot``: the dot source Keras 3 writes."""

from __future__ import annotations

import re
import sys
import types
import xml.etree.ElementTree as ET

import keras
import pydot
import pytest
import torch
from keras.src.utils import model_visualization as keras_visualization

import torchseq
from torchseq.utils.model_visualization import model_to_dot, plot_model


def sequential(k):
    return k.Sequential(
        [
            k.Input((8, 8, 1), name="image"),
            k.layers.Conv2D(4, 3, activation="relu", name="conv"),
            k.layers.Flatten(name="flatten"),
            k.layers.Dense(3, activation="softmax", name="probs"),
        ],
        name="seq",
    )


def two_inputs_shared_layer(k):
    left, right = k.Input((4,), name="left"), k.Input((4,), name="right")
    shared = k.layers.Dense(3, activation="tanh", name="shared")
    merged = k.layers.Concatenate(name="merge")([shared(left), shared(right)])
    first = k.layers.Dense(1, name="first")(merged)
    second = k.layers.Dense(2, name="second")(merged)
    return k.Model([left, right], [first, second], name="twin")


def nested(k):
    inner = k.Sequential(
        [k.Input((5,)), k.layers.Dense(4, name="in1"), k.layers.Dense(3, name="in2")], name="inner"
    )
    head_in = k.Input((3,), name="head_in")
    head = k.Model(head_in, k.layers.Dense(2, name="head_dense")(head_in), name="head")
    x = k.Input((5,), name="x")
    return k.Model(x, k.layers.Dense(1, name="out")(head(inner(x))), name="outer")


def frozen_layer(k):
    model = sequential(k)
    model.layers[0].trainable = False
    return model


OPTIONS = [
    {},
    {"show_shapes": True, "show_dtype": True},
    {"show_layer_names": False, "show_layer_activations": True, "show_trainable": True},
    {"show_shapes": True, "rankdir": "LR", "dpi": 96, "splines": "polyline"},
]


def normalized(dot) -> str:
    """The dot source with object ids replaced by their order of first appearance."""
    source = dot.to_string()
    ids: dict[str, str] = {}
    return re.sub(r"\b\d{6,}\b", lambda m: ids.setdefault(m.group(), f"n{len(ids)}"), source)


@pytest.mark.parametrize("build", [sequential, two_inputs_shared_layer, nested, frozen_layer])
@pytest.mark.parametrize("options", OPTIONS, ids=lambda options: "-".join(options) or "default")
@pytest.mark.parametrize("expand_nested", [False, True])
def test_dot_source_matches_keras(build, options, expand_nested):
    ours = model_to_dot(build(torchseq), expand_nested=expand_nested, **options)
    theirs = keras_visualization.model_to_dot(build(keras), expand_nested=expand_nested, **options)
    assert normalized(ours) == normalized(theirs)


def labels(dot) -> list[str]:
    found = [node.get("label") for node in dot.get_nodes() if node.get("label")]
    for cluster in dot.get_subgraphs():
        found += labels(cluster)
    return found


def test_shared_layer_is_one_node_with_an_edge_from_each_input():
    dot = model_to_dot(two_inputs_shared_layer(torchseq), show_shapes=True, show_dtype=True)
    text = labels(dot)
    assert len(text) == 6  # left, right, shared, merge, first, second
    merge = next(label for label in text if "<b>merge</b> (Concatenate)" in label)
    assert "Input shape: <b>[(None, 3), (None, 3)]</b>" in merge
    assert "Output shape: <b>(None, 6)</b>" in merge
    assert "Output dtype: <b>float32</b>" in merge
    # left -> shared, right -> shared, shared -> merge (once), merge -> first, merge -> second
    assert len(dot.get_edges()) == 5


def test_expand_nested_draws_clusters_and_crosses_their_borders():
    dot = model_to_dot(nested(torchseq), expand_nested=True)
    clusters = {cluster.get_name(): cluster for cluster in dot.get_subgraphs()}
    assert set(clusters) == {"cluster_inner", "cluster_head"}
    assert clusters["cluster_inner"].get("style") == "dashed"
    names = {node.get_name(): node.get("label") for node in dot.get_nodes()}
    for cluster in clusters.values():
        names.update({node.get_name(): node.get("label") for node in cluster.get_nodes()})

    def layer(edge_end):
        return re.search(r"<b>(\w+)</b>", names[edge_end]).group(1)

    edges = {(layer(e.get_source()), layer(e.get_destination())) for e in dot.get_edges()}
    edges |= {
        (layer(e.get_source()), layer(e.get_destination()))
        for cluster in clusters.values()
        for e in cluster.get_edges()
    }
    assert edges == {
        ("x", "in1"),
        ("in1", "in2"),
        ("in2", "head_in"),
        ("head_in", "head_dense"),
        ("head_dense", "out"),
    }


def test_collapsed_nested_model_is_one_functional_box():
    text = labels(model_to_dot(nested(torchseq)))
    assert any("<b>head</b> (Functional)" in label for label in text)
    assert any("<b>inner</b> (Sequential)" in label for label in text)


class Subclassed(torchseq.Model):
    def __init__(self):
        super().__init__(name="custom")
        self.dense = torchseq.layers.Dense(2)

    def call(self, inputs):
        return self.dense(inputs)


def test_subclassed_model_is_a_single_node():
    model = Subclassed()
    model(torch.zeros(2, 3))
    dot = model_to_dot(model, show_shapes=True)
    (node,) = dot.get_nodes()[1:]  # the first is the `node [shape=record]` default
    assert "<b>custom</b> (Subclassed)" in node.get("label")
    assert "Output shape: <b>?</b>" in node.get("label")
    assert dot.get_edges() == []


def test_unbuilt_model_is_refused():
    with pytest.raises(ValueError, match="'sequential' has not yet been built"):
        model_to_dot(torchseq.Sequential([torchseq.layers.Dense(2)]))


def test_png_svg_and_dot_files_are_written(tmp_path):
    model = sequential(torchseq)
    plot_model(model, to_file=tmp_path / "model.png", show_shapes=True)
    assert (tmp_path / "model.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    plot_model(model, to_file=str(tmp_path / "model.svg"))
    svg = ET.parse(tmp_path / "model.svg").getroot()
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    assert "Conv2D" in ET.tostring(svg, encoding="unicode")
    plot_model(model, to_file=tmp_path / "model.dot", show_layer_names=True)
    assert "<b>conv</b> (Conv2D)" in (tmp_path / "model.dot").read_text()
    plot_model(model, to_file=tmp_path / "model")  # no extension: PNG, as in Keras
    assert (tmp_path / "model").read_bytes()[:4] == b"\x89PNG"


def test_notebooks_get_an_image_they_can_show(tmp_path, monkeypatch):
    display = types.ModuleType("IPython.display")  # a stand-in: IPython is not a dependency
    display.Image = lambda filename, format: ("Image", filename, format)
    display.SVG = lambda filename: ("SVG", filename)
    ipython = types.ModuleType("IPython")
    ipython.display = display
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display)
    model = sequential(torchseq)
    png, svg, pdf = (str(tmp_path / name) for name in ("model.png", "model.svg", "model.pdf"))
    assert plot_model(model, to_file=png) == ("Image", png, "png")
    assert plot_model(model, to_file=svg) == ("SVG", svg)
    assert plot_model(model, to_file=pdf) is None
    assert (tmp_path / "model.pdf").read_bytes()[:4] == b"%PDF"
    monkeypatch.setitem(sys.modules, "IPython", None)
    assert plot_model(model, to_file=png) is None


def test_missing_pydot_says_what_to_install(monkeypatch):
    for name in ("pydot", "pydot_ng", "pydotplus"):
        monkeypatch.setitem(sys.modules, name, None)  # makes `import name` fail
    with pytest.raises(ImportError, match=r"pydot \(`pip install pydot`\) for `plot_model`"):
        plot_model(sequential(torchseq))
    with pytest.raises(ImportError, match=r"`pip install pydot`\) for `model_to_dot`"):
        model_to_dot(sequential(torchseq))


def test_missing_graphviz_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` program to be found
    expected = "`apt-get install graphviz`.*`brew install graphviz`"
    with pytest.raises(ImportError, match=expected) as e:
        plot_model(sequential(torchseq), to_file=tmp_path / "model.png")
    assert "https://graphviz.gitlab.io/download/" in str(e.value)
    assert not (tmp_path / "model.png").exists()
    assert isinstance(model_to_dot(sequential(torchseq)), pydot.Dot)  # the source needs no `dot`
