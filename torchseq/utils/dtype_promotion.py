"""``backend.result_type``: Keras 3's dtype promotion rules (those of ``jnp.result_type``).

Dtypes sit on a promotion lattice; the result is the least upper bound of the inputs.
Python ``int`` and ``float`` are *weak*: they adapt to the other input's dtype
(``bfloat16`` with ``int`` stays ``bfloat16``). As Keras does on every backend but
TensorFlow, 64-bit results are narrowed to 32 bits (``int64`` -> ``int32``).
"""

from __future__ import annotations

import functools
from typing import Any

from torchseq import config

__all__ = ["result_type"]

# Each dtype and the dtypes it promotes to directly; "int" and "float" are the weak types.
_PROMOTES_TO: dict[str, tuple[str, ...]] = {
    "bool": ("int",),
    "int": ("uint8", "int8", "complex64"),
    "uint8": ("int16", "uint16"),
    "uint16": ("int32", "uint32"),
    "uint32": ("int64", "uint64"),
    "uint64": ("float",),
    "int8": ("int16",),
    "int16": ("int32",),
    "int32": ("int64",),
    "int64": ("float",),
    "float": ("bfloat16", "float16"),
    "bfloat16": ("float32",),
    "float16": ("float32",),
    "float32": ("float64", "complex64"),
    "float64": ("complex128",),
    "complex64": ("complex128",),
    "complex128": (),
}
_FLOAT8 = ("float8_e4m3fn", "float8_e5m2")
_NARROWED = {"int64": "int32", "uint64": "uint32", "float64": "float32", "complex128": "complex64"}


def result_type(*dtypes: Any) -> str:
    """The dtype Keras's type promotion gives for ``dtypes`` (a Keras dtype name).

    Args:
        *dtypes: dtype names, numpy or torch dtypes, or the Python types ``bool``,
            ``int``, ``float`` (``int`` and ``float`` are weak). ``None`` means floatx.

    Returns:
        The result's dtype name; ``floatx()`` when no dtype is given.

    Example:
        >>> keras.backend.result_type("int32", "float16")
        'float16'
        >>> keras.backend.result_type("bfloat16", int)
        'bfloat16'
    """
    if not dtypes:
        return config.floatx()
    float8 = [dtype for dtype in dtypes if isinstance(dtype, str) and dtype in _FLOAT8]
    if float8:
        raise ValueError(
            "There is no implicit conversion from float8 dtypes to others; cast explicitly. "
            f"Received: dtypes={dtypes}"
        )
    names = [_lattice_name(config.floatx() if dtype is None else dtype) for dtype in dtypes]
    strong = {name for name in names if name not in ("int", "float")}
    if strong:
        result = _least_upper_bound(frozenset(names))
    else:  # only Python ints and floats: promote their concrete dtypes, stay weak
        result = _least_upper_bound(frozenset(_concrete(name) for name in names))
        result = {"int32": "int", "float32": "float"}.get(result, result)
    if result in ("int", "float"):  # a weak result takes the precision of floatx
        result = f"{result}{config.floatx()[-2:]}"
    return _NARROWED.get(result, result)


def _lattice_name(dtype: Any) -> str:
    if dtype is int:
        return "int"
    if dtype is float:
        return "float"
    from torchseq.backend import standardize_dtype

    name = standardize_dtype(dtype)
    if name not in _PROMOTES_TO:
        raise ValueError(
            f"dtype {name!r} is not a valid dtype for Keras type promotion; expected one of "
            f"{sorted(set(_PROMOTES_TO) - {'int', 'float'})}, received: {dtype!r}"
        )
    return name


def _concrete(name: str) -> str:
    return {"int": "int32", "float": "float32"}.get(name, name)


@functools.cache
def _upper_bounds() -> dict[str, frozenset[str]]:
    """Every dtype each dtype promotes to, itself included (the lattice's transitive closure)."""
    bounds: dict[str, frozenset[str]] = {}

    def collect(name: str) -> frozenset[str]:
        if name not in bounds:
            above = {name}
            for parent in _PROMOTES_TO[name]:
                above |= collect(parent)
            bounds[name] = frozenset(above)
        return bounds[name]

    for name in _PROMOTES_TO:
        collect(name)
    return bounds


@functools.cache
def _least_upper_bound(names: frozenset[str]) -> str:
    bounds = _upper_bounds()
    common = frozenset.intersection(*(bounds[name] for name in names))
    # The least common bound is the one every other common bound sits above.
    least = [name for name in common if common <= bounds[name]]
    if len(least) != 1:
        raise ValueError(
            f"Input dtypes {tuple(sorted(names))} have no implicit dtype promotion path; "
            "cast the inputs to the dtype you want explicitly."
        )
    return least[0]
