"""``utils.plot_model`` / ``utils.model_to_dot``: a model's layer graph drawn as Keras 3 draws it.

Each layer is a Graphviz node whose label is an HTML table (name, class, and on request
activation, input/output shapes, output dtype, trainable); edges follow the tensors between
layers. Sequential models are a chain, Functional models their graph (shared layers drawn
once), subclassed models a single box. With ``expand_nested`` a nested Sequential or
Functional model becomes a dashed cluster, and the edges into and out of it reach the layers
inside. Drawing goes through ``pydot`` and Graphviz's ``dot`` program, both optional and
looked up only when a picture is asked for.
"""

from __future__ import annotations

import importlib
import itertools
import os
from typing import TYPE_CHECKING, Any

from torchseq.utils import tree

if TYPE_CHECKING:
    from torchseq.layers.layer import Layer
    from torchseq.models.model import Model

__all__ = ["model_to_dot", "plot_model"]

_PYDOT_MISSING = "You must install pydot (`pip install pydot`) for `{caller}` to work."
_GRAPHVIZ_MISSING = (
    "You must install graphviz (`apt-get install graphviz` on Debian/Ubuntu, "
    "`brew install graphviz` on macOS, or see instructions at "
    "https://graphviz.gitlab.io/download/) for `{caller}` to work: pydot could not run "
    "Graphviz's `dot` program."
)


def model_to_dot(
    model: Model,
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = True,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 200,
    subgraph: bool = False,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
    splines: str = "ortho",
) -> Any:
    """Convert a model to a ``pydot.Dot`` graph, one node per layer.

    Args:
        model: a built ``Sequential``, Functional or subclassed ``Model``.
        show_shapes: show each layer's input and output shapes. Defaults to ``False``.
        show_dtype: show each layer's output dtype. Defaults to ``False``.
        show_layer_names: show layer names next to class names. Defaults to ``True``.
        rankdir: Graphviz ``rankdir``: ``"TB"`` (vertical) or ``"LR"`` (horizontal).
        expand_nested: draw nested Sequential/Functional models as clusters of their
            layers. Defaults to ``False``.
        dpi: image resolution in dots per inch. Defaults to ``200``.
        subgraph: return a ``pydot.Cluster`` (used for nested models). Defaults to ``False``.
        show_layer_activations: show the ``activation`` of layers that have one.
        show_trainable: show whether layers with weights are trainable.
        splines: how Graphviz draws edges: ``"ortho"`` (default), ``"curved"``,
            ``"polyline"``, ``"spline"`` or ``"line"``.

    Returns:
        A ``pydot.Dot`` (or ``pydot.Cluster`` when ``subgraph=True``).

    Example:
        >>> dot = keras.utils.model_to_dot(model, show_shapes=True)
        >>> print(dot.to_string())
    """
    _require_built(model)
    pydot = _import_pydot("model_to_dot")
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name)
        dot.set("label", model.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set("splines", splines)
        dot.set_node_defaults(shape="record")
    label_options = {
        "show_layer_names": show_layer_names,
        "show_layer_activations": show_layer_activations,
        "show_dtype": show_dtype,
        "show_shapes": show_shapes,
        "show_trainable": show_trainable,
    }
    if not _is_graph_model(model):
        dot.add_node(_make_node(pydot, model, label_options))  # subclassed: one box
        return dot

    layers = list(model.layers) if _is_sequential(model) else list(model._graph.layers)
    for layer in layers:
        if expand_nested and _is_graph_model(layer):
            dot.add_subgraph(
                model_to_dot(
                    layer,
                    show_shapes,
                    show_dtype,
                    show_layer_names,
                    rankdir,
                    expand_nested,
                    subgraph=True,
                    show_layer_activations=show_layer_activations,
                    show_trainable=show_trainable,
                )
            )
        else:
            dot.add_node(_make_node(pydot, layer, label_options))
    for source, destination, output_index, input_index in _connections(model, layers):
        if expand_nested:
            source = _innermost_source(source, output_index)
            destination = _innermost_destination(destination, input_index)
        _add_edge(pydot, dot, source, destination)
    return dot


def plot_model(
    model: Model,
    to_file: str | os.PathLike = "model.png",
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = False,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 200,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
    splines: str = "ortho",
) -> Any:
    """Draw a model's layer graph into an image file.

    The extension of ``to_file`` picks the format Graphviz writes (``png``, ``svg``,
    ``pdf``, ``dot``, ...; ``png`` when there is none). Needs ``pydot``
    (``pip install pydot``) and Graphviz's ``dot`` program (``apt-get install graphviz``,
    ``brew install graphviz``).

    Args:
        model: a built ``Sequential``, Functional or subclassed ``Model``.
        to_file: where to write the image. Defaults to ``"model.png"``.
        show_shapes, show_dtype, show_layer_names, rankdir, expand_nested, dpi,
        show_layer_activations, show_trainable, splines: as in :func:`model_to_dot`;
            ``show_layer_names`` defaults to ``False`` here, as in Keras.

    Returns:
        When IPython is installed, an ``IPython.display.Image`` (PNG, JPEG, GIF) or
        ``SVG`` of the file, so that notebooks show it; otherwise ``None``. (Keras
        returns an ``Image`` for every format but PDF, which fails for SVG.)

    Example:
        >>> keras.utils.plot_model(model, to_file="model.png", show_shapes=True)
    """
    _require_built(model)
    _import_pydot("plot_model")
    _require_graphviz("plot_model")
    dot = model_to_dot(
        model,
        show_shapes=show_shapes,
        show_dtype=show_dtype,
        show_layer_names=show_layer_names,
        rankdir=rankdir,
        expand_nested=expand_nested,
        dpi=dpi,
        show_layer_activations=show_layer_activations,
        show_trainable=show_trainable,
        splines=splines,
    )
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:] or "png"
    dot.write(to_file, format=extension)
    return _notebook_image(to_file, extension)


def _notebook_image(path: str, extension: str) -> Any:
    """What a notebook shows for the written file, when IPython is installed."""
    try:
        from IPython import display
    except ImportError:
        return None
    extension = extension.lower()
    if extension == "svg":
        return display.SVG(filename=path)
    if extension in ("png", "jpg", "jpeg", "gif"):  # format given: the name may lack it
        return display.Image(filename=path, format=extension)
    return None  # pdf, dot, ...: nothing a notebook can embed


# ---------------------------------------------------------------------- dependencies


def _import_pydot(caller: str) -> Any:
    # pydot_ng and pydotplus are older forks of pydot that Keras also accepts.
    for name in ("pydot", "pydot_ng", "pydotplus"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise ImportError(_PYDOT_MISSING.format(caller=caller))


def _require_graphviz(caller: str) -> None:
    pydot = _import_pydot(caller)
    try:
        pydot.Dot.create(pydot.Dot())  # an empty picture: proves `dot` runs
    except (OSError, pydot.PydotException) as e:
        raise ImportError(_GRAPHVIZ_MISSING.format(caller=caller)) from e


def _require_built(model: Model) -> None:
    if not model.built:
        raise ValueError(
            f"Model {model.name!r} has not yet been built, so it cannot be drawn. Build it "
            "first by calling `build()` or by calling the model on a batch of data."
        )


# ---------------------------------------------------------------------- graph


def _is_sequential(layer: Any) -> bool:
    from torchseq.models.sequential import SequentialModel

    return isinstance(layer, SequentialModel)


def _is_graph_model(layer: Any) -> bool:
    """A Sequential or Functional model: one whose layers the picture can show."""
    return _is_sequential(layer) or getattr(layer, "_graph", None) is not None


def _connections(model: Model, layers: list[Layer]) -> list[tuple[Layer, Layer, int, int]]:
    """``(source, destination, source output index, destination input index)`` per edge."""
    if _is_sequential(model):
        return [(first, second, 0, 0) for first, second in itertools.pairwise(layers)]
    in_graph = set(model._graph.nodes)
    edges = []
    for layer in layers:
        for node in layer._inbound_nodes:
            if node not in in_graph:  # a call of a shared layer from outside this model
                continue
            for input_index, tensor in enumerate(node.input_tensors):
                edges.append((tensor.node.layer, layer, tensor.tensor_index, input_index))
    return edges


def _innermost_source(source: Layer, output_index: int) -> Layer:
    """The layer inside (possibly several levels of) nested models producing that output."""
    while _is_graph_model(source):
        tensor = source.outputs[output_index]
        source, output_index = tensor.node.layer, tensor.tensor_index
    return source


def _innermost_destination(destination: Layer, input_index: int) -> Layer:
    """The Input of a nested Functional model, or the first layer of a nested Sequential."""
    while _is_graph_model(destination):
        if _is_sequential(destination):
            destination = destination.layers[0]
        else:
            destination = destination.inputs[input_index].node.layer
    return destination


def _add_edge(pydot: Any, dot: Any, source: Layer, destination: Layer) -> None:
    source_id, destination_id = str(id(source)), str(id(destination))
    if not dot.get_edge(source_id, destination_id):
        edge = pydot.Edge(source_id, destination_id)
        edge.set("penwidth", "2")
        dot.add_edge(edge)


# ---------------------------------------------------------------------- labels


def _make_node(pydot: Any, layer: Layer, label_options: dict[str, bool]) -> Any:
    node = pydot.Node(str(id(layer)), label=_layer_label(layer, **label_options))
    node.set("fontname", "Helvetica")
    node.set("border", "0")
    node.set("margin", "0")
    return node


def _class_name(layer: Layer) -> str:
    from torchseq.models.model import Model

    if type(layer) is Model and layer._graph is not None:
        return "Functional"  # the class Keras gives keras.Model(inputs, outputs)
    return layer.type_name


def _activation_name(activation: Any) -> str:
    if hasattr(activation, "name"):
        return str(activation.name)
    if hasattr(activation, "__name__"):
        return activation.__name__
    return str(activation)


def _layer_label(
    layer: Layer,
    *,
    show_layer_names: bool,
    show_layer_activations: bool,
    show_dtype: bool,
    show_shapes: bool,
    show_trainable: bool,
) -> str:
    """The node's HTML-like label: a title row, an activation row, a row of details."""
    class_name = _class_name(layer)
    colspan = max(1, int(show_dtype) + int(show_trainable) + 2 * int(show_shapes))
    title = f"<b>{layer.name}</b> ({class_name})" if show_layer_names else f"<b>{class_name}</b>"
    title_cell = f'<font point-size="16" color="white">{title}</font>'
    rows = [f'<tr><td colspan="{colspan}" bgcolor="black">{title_cell}</td></tr>']
    activation = getattr(layer, "activation", None)
    if show_layer_activations and activation is not None:
        rows.append(
            f'<tr><td bgcolor="white" colspan="{colspan}"><font point-size="14">'
            f"Activation: <b>{_activation_name(activation)}</b></font></td></tr>"
        )
    cells = []
    if show_shapes:
        if class_name != "InputLayer":
            cells.append(_detail_cell("Input shape", _format_shapes(layer, "input")))
        cells.append(_detail_cell("Output shape", _format_shapes(layer, "output")))
    if show_dtype:
        cells.append(_detail_cell("Output dtype", _output_dtype(layer)))
    if show_trainable and layer.weights:
        if layer.trainable:
            cells.append(_flag_cell("forestgreen", "Trainable"))
        else:
            cells.append(_flag_cell("firebrick", "Non-trainable"))
    if cells:
        rows.append(f"<tr>{''.join(cells)}</tr>")
    table = '<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'
    return f"<{table}{''.join(rows)}</table>>"


def _detail_cell(title: str, value: str) -> str:
    return f'<td bgcolor="white"><font point-size="14">{title}: <b>{value}</b></font></td>'


def _flag_cell(color: str, text: str) -> str:
    return f'<td bgcolor="{color}"><font point-size="14" color="white"><b>{text}</b></font></td>'


def _symbolic(layer: Layer, which: str) -> Any:
    """``layer.input`` / ``layer.output``, or ``None`` for a layer not called in a graph."""
    try:
        return getattr(layer, which)
    except (ValueError, AttributeError):
        return None


def _format_shapes(layer: Layer, which: str) -> str:
    tensors = _symbolic(layer, which)
    if tensors is None:
        return "?"
    shapes = tree.map_structure(lambda tensor: tensor.shape, tensors)
    if isinstance(shapes, dict):
        return ", ".join(f"{key}: {value}" for key, value in shapes.items())
    return str(shapes).replace("{", "").replace("}", "")


def _output_dtype(layer: Layer) -> str:
    tensors = _symbolic(layer, "output")
    if tensors is None:
        return "?"
    return str(tree.map_structure(lambda tensor: tensor.dtype, tensors))
