"""``model.summary()``: Keras 3's box table of layers, output shapes and parameter counts.

Rows are collected from the model (``_layer_rows``), laid out into columns the way Keras's
table renderer sizes them (``_column_widths``), and drawn with box characters (``_render``).
"""

from __future__ import annotations

import math
import re
import shutil
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from torchseq.utils import tree
from torchseq.utils.integers import int_or_none, is_int

if TYPE_CHECKING:
    from torchseq.layers.layer import Layer
    from torchseq.models.model import Model

__all__ = ["print_summary", "readable_memory_size"]

_TOP = ("┏", "━", "┳", "┓")
_HEADER = ("┃", " ", "┃", "┃")
_HEAD_RULE = ("┡", "━", "╇", "┩")
_ROW = ("│", " ", "│", "│")
_ROW_RULE = ("├", "─", "┼", "┤")
_BOTTOM = ("└", "─", "┴", "┘")


def print_summary(
    model: Model,
    line_length: int | None = None,
    positions: list[float] | None = None,
    print_fn: Callable[..., Any] | None = None,
    expand_nested: bool = False,
    show_trainable: bool = False,
    layer_range: Any = None,
) -> None:
    """Print the summary of ``model``; ``print_fn`` receives the whole text at once."""
    from torchseq.models.sequential import SequentialModel

    if line_length is not None and not is_int(line_length):
        raise TypeError(
            f"summary: line_length must be an int or None, received: line_length={line_length!r} "
            f"of type {type(line_length).__name__}"
        )

    if isinstance(model, SequentialModel) and not model.built:
        raise ValueError(
            f"Sequential model {model.name!r} has not been built yet, so it has no summary. "
            "Build it by calling it on data (model(x)), with model.build(input_shape), or give "
            "the input shape up front: keras.Input(shape=...) as first layer, or input_shape= "
            "on the first layer."
        )
    graph = getattr(model, "_graph", None)
    sequential_like = graph is None or _is_sequential_like(graph)
    if sequential_like:
        header = ["Layer (type)", "Output Shape", "Param #"]
        align = ["left", "left", "right"]
        default_length, positions = 88, positions or [0.45, 0.80, 1.0]
    else:
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        align = ["left", "left", "right", "left"]
        default_length, positions = 108, positions or [0.3, 0.56, 0.74, 1.0]
    if show_trainable:
        default_length += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
        align.append("center")
    line_length = int_or_none(line_length) or min(
        default_length, shutil.get_terminal_size().columns - 4
    )

    relevant = set(graph.nodes) if graph is not None else None
    rows = []
    layers = model.layers if graph is None else graph.layers  # with its keras.ops nodes
    first, last = _layer_range(layers, layer_range)
    for layer in layers[first:last]:
        rows += _layer_rows(layer, 0, expand_nested, show_trainable, relevant, sequential_like)

    lines = [f'Model: "{model.name}"']
    lines += _render(header, rows, align, _column_widths(positions, line_length))
    trainable = model.trainable_weights
    non_trainable = model.non_trainable_weights
    optimizer_variables = _optimizer_variables(model)
    lines += [
        _count_line("Total params", trainable + non_trainable + (optimizer_variables or [])),
        _count_line("Trainable params", trainable),
        _count_line("Non-trainable params", non_trainable),
    ]
    if optimizer_variables is not None:
        lines.append(_count_line("Optimizer params", optimizer_variables))
    text = "\n".join(lines) + "\n"
    if print_fn is None:
        sys.stdout.write(text)
    else:
        print_fn(text)


def readable_memory_size(size: float) -> str:
    """``140`` -> ``"140.00 B"``, ``46720`` -> ``"45.62 KB"``."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


def _optimizer_variables(model: Model) -> list | None:
    """The optimizer's variables once Keras would count them: when its optimizer is built,
    which ``fit``, ``evaluate`` and ``train_on_batch`` / ``test_on_batch`` do (and loading a
    trained model: it has stepped). ``None`` before that, or for a torch optimizer."""
    if not getattr(model, "compiled", False):
        return None
    optimizer = getattr(model, "optimizer", None)
    if not hasattr(type(optimizer), "variables"):
        return None
    if not model._compile_state.ready and int(optimizer.iterations) == 0:
        return None
    return list(optimizer.variables)


def _count_line(label: str, weights: list) -> str:
    unique = list({id(w): w for w in weights}.values())
    count = sum(math.prod(w.shape) for w in unique)
    size = sum(math.prod(w.shape) * w.element_size() for w in unique)
    return f" {label}: {count:,} ({readable_memory_size(size)})"


# ---------------------------------------------------------------------- rows


def _is_sequential_like(graph: Any) -> bool:
    """Keras prints the short table when the graph is a chain with no shared layers."""
    for nodes in graph.nodes_by_depth.values():
        if len(nodes) > 1 or (len(nodes) == 1 and len(nodes[0].input_tensors) > 1):
            return False
    in_graph = set(graph.nodes)
    return all(
        sum(node in in_graph for node in layer._inbound_nodes) <= 1 for layer in graph.layers
    )


def _layer_rows(
    layer: Layer,
    level: int,
    expand_nested: bool,
    show_trainable: bool,
    relevant: set | None,
    sequential_like: bool,
) -> list[list[str]]:
    prefix = "   " * level + "└ " if level else ""
    type_name = layer.type_name
    if not getattr(layer, "built", True):
        params = "0 (unbuilt)"
    else:
        params = f"{layer.count_params():,}"
    row = [f"{prefix}{layer.name} ({type_name})", _format_output_shape(layer), params]
    if not sequential_like:
        row.append(_connections(layer, relevant))
    if show_trainable:
        row.append(("Y" if layer.trainable else "N") if layer.weights else "-")
    rows = [row]
    nested = getattr(layer, "layers", None) if expand_nested else None
    if nested:
        for child in nested:
            rows += _layer_rows(
                child, level + 1, expand_nested, show_trainable, relevant, sequential_like
            )
    elif expand_nested and hasattr(layer, "summary_rows"):
        for name, child_type, shape, count in layer.summary_rows():
            child_row = [
                f"{'   ' * (level + 1)}└ {name} ({child_type})",
                "?" if shape is None else _format_shape(shape),
                f"{count:,}",
            ]
            if not sequential_like:
                child_row.append("")
            if show_trainable:
                child_row.append(row[-1])
            rows.append(child_row)
    return rows


def _format_shape(shape: tuple) -> str:
    return "(" + ", ".join(str(dim) for dim in shape) + ")"


def _format_output_shape(layer: Layer) -> str:
    if layer._inbound_nodes:
        outputs = layer._inbound_nodes[-1].outputs
        shapes = tree.map_structure(lambda t: _format_shape(t.shape), outputs)
    elif _graph_output_shape(layer) is not None:  # a model built on an Input, never called
        shapes = tree.map_shapes(_format_shape, _graph_output_shape(layer))
    elif getattr(layer, "built", False) and layer._build_shapes is not None:
        try:
            shapes = tree.map_shapes(_format_shape, layer.compute_output_shape(layer._build_shapes))
        except Exception:  # noqa: BLE001 - a summary shows what it can; the shape stays unknown
            return "?"
    else:
        return "?"
    flat = tree.flatten(shapes)
    return flat[0] if len(flat) == 1 else str(shapes).replace("'", "")


def _graph_output_shape(layer: Layer) -> Any:
    """A Functional or built Sequential model's output shape(s); ``None`` for other layers."""
    from torchseq.models.model import Model

    if not isinstance(layer, Model) or not layer.built:
        return None
    try:
        return layer.output_shape
    except ValueError:  # a subclassed model: no graph, no symbolic output
        return None


def _connections(layer: Layer, relevant: set | None) -> str:
    links = []
    for node in layer._inbound_nodes:
        if relevant is not None and node not in relevant:
            continue
        for tensor in node.input_tensors:
            links.append(f"{tensor.node.layer.name}[{tensor.node_index}][{tensor.tensor_index}]")
    return ", ".join(links) or "-"


def _layer_range(layers: list, layer_range: Any) -> tuple[int, int]:
    if layer_range is None:
        return 0, len(layers)
    if len(layer_range) != 2:
        raise ValueError(
            f"layer_range must be [first_name, last_name], received: {layer_range!r}"
        )
    starts = [i for i, layer in enumerate(layers) if re.match(layer_range[0], layer.name)]
    ends = [i for i, layer in enumerate(layers) if re.match(layer_range[1], layer.name)]
    if not starts or not ends:
        raise ValueError(
            f"layer_range {layer_range!r} matches no layer; layers: {[l.name for l in layers]}"
        )
    return starts[0], ends[-1] + 1


# ---------------------------------------------------------------------- rendering


def _column_widths(positions: list[float], line_length: int) -> list[int]:
    """Cell widths (padding included) that fill ``line_length`` with the borders."""
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    widths, current = [], 0
    for position in positions:
        width = position - current
        if width < 4:
            raise ValueError(
                f"line_length={line_length} is too small for the summary's columns"
            )
        widths.append(width + 2)  # one space of padding either side
        current += width
    available = line_length - (len(widths) + 1)
    excess = sum(widths) - available
    if excess > 0:  # shrink every column evenly, as the table layout does
        remaining, shares = excess, len(widths)
        for index, width in enumerate(widths):
            cut = min(width, round(remaining / shares))
            widths[index] = width - cut
            remaining -= cut
            shares -= 1
    return widths


def _render(header: list[str], rows: list[list[str]], align: list[str], widths: list[int]) -> list[str]:
    lines = [_rule(_TOP, widths)]
    lines += _draw_row(header, align, widths, _HEADER)
    lines.append(_rule(_HEAD_RULE, widths))
    for index, row in enumerate(rows):
        if index:
            lines.append(_rule(_ROW_RULE, widths))
        lines += _draw_row(row, align, widths, _ROW)
    lines.append(_rule(_BOTTOM, widths))
    return lines


def _rule(box: tuple[str, str, str, str], widths: list[int]) -> str:
    left, fill, middle, right = box
    return left + middle.join(fill * width for width in widths) + right


def _draw_row(cells: list[str], align: list[str], widths: list[int], box: tuple) -> list[str]:
    wrapped = [_wrap(cell, width - 2) for cell, width in zip(cells, widths)]
    height = max(len(lines) for lines in wrapped)
    out = []
    for line_index in range(height):
        parts = []
        for lines, width, how in zip(wrapped, widths, align):
            text = lines[line_index] if line_index < len(lines) else ""
            parts.append(" " + _justify(text, width - 2, how) + " ")
        out.append(box[0] + box[2].join(parts) + box[3])
    return out


def _wrap(text: str, width: int) -> list[str]:
    """Greedy word wrap; a word longer than the cell is cut with an ellipsis."""
    lines: list[str] = []
    current: str | None = None
    for word in text.split(" "):
        if current is None:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            lines.append(current)
            current = word
    lines.append(current or "")
    return [line if len(line) <= width else line[: width - 1] + "…" for line in lines]


def _justify(text: str, width: int, how: str) -> str:
    if how == "right":
        return text.rjust(width)
    if how == "center":
        left = (width - len(text)) // 2
        return " " * left + text + " " * (width - len(text) - left)
    return text.ljust(width)
