"""Linear systems and matrix decompositions (``keras.ops.linalg``): ``solve``, ``inv``,
``det``, ``cholesky``, ``qr``, ``svd``, ``eig``/``eigh``, ``lu_factor``, ``lstsq`` and more.

Every function works on the last two axes and batches over the rest. Integer inputs are
cast to ``floatx`` first.
"""

from __future__ import annotations

import torch

from torchseq.ops._convert import Tensor, TensorLike, _floating, _promoted

__all__ = [
    "cholesky",
    "cholesky_inverse",
    "det",
    "eig",
    "eigh",
    "inv",
    "logdet",
    "lstsq",
    "lu_factor",
    "matrix_rank",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "solve_triangular",
    "svd",
]


def _square(x: TensorLike, name: str) -> Tensor:
    x = _floating(x)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(
            f"{name} expected square matrices in the last two axes, received: shape {tuple(x.shape)}"
        )
    return x


def _floating_pair(a: TensorLike, b: TensorLike) -> list[Tensor]:
    return [_floating(t) for t in _promoted(a, b)]


def cholesky(x: TensorLike, upper: bool = False) -> Tensor:
    """The Cholesky factor of symmetric positive definite matrices: lower ``L`` with
    ``L @ L.T == x`` (or upper ``U = L.T`` if ``upper``)."""
    return torch.linalg.cholesky(_square(x, "cholesky"), upper=upper)


def cholesky_inverse(x: TensorLike, upper: bool = False) -> Tensor:
    """The inverse of a matrix given its Cholesky factor ``x`` (lower, unless ``upper``)."""
    return torch.cholesky_inverse(_square(x, "cholesky_inverse"), upper=upper)


def det(x: TensorLike) -> Tensor:
    """Determinants."""
    return torch.linalg.det(_square(x, "det"))


def slogdet(x: TensorLike) -> tuple[Tensor, Tensor]:
    """Sign and natural log of the absolute determinant, as ``(sign, logabsdet)``."""
    return tuple(torch.linalg.slogdet(_square(x, "slogdet")))


def logdet(x: TensorLike) -> Tensor:
    """Natural log of the determinant (NaN where it is negative)."""
    return torch.logdet(_square(x, "logdet"))


def inv(x: TensorLike) -> Tensor:
    """Matrix inverses."""
    return torch.linalg.inv(_square(x, "inv"))


def pinv(x: TensorLike, rcond: float | None = None) -> Tensor:
    """Moore-Penrose pseudo-inverses; singular values below ``rcond`` times the largest
    count as zero (default: machine epsilon times the larger matrix side)."""
    return torch.linalg.pinv(_floating(x), rtol=rcond)


def solve(a: TensorLike, b: TensorLike) -> Tensor:
    """``x`` with ``a @ x == b`` for square ``a``; ``b`` is a matrix or a vector."""
    a, b = _floating_pair(a, b)
    return torch.linalg.solve(_square(a, "solve"), b)


def solve_triangular(a: TensorLike, b: TensorLike, lower: bool = False) -> Tensor:
    """``solve`` for triangular ``a`` (upper, unless ``lower``); ``b`` may be a vector."""
    a, b = _floating_pair(a, b)
    a = _square(a, "solve_triangular")
    vector = b.ndim == a.ndim - 1
    b = b.unsqueeze(-1) if vector else b
    solution = torch.linalg.solve_triangular(a, b, upper=not lower)
    return solution.squeeze(-1) if vector else solution


def lstsq(a: TensorLike, b: TensorLike, rcond: float | None = None) -> Tensor:
    """The least-squares solution ``x`` of ``a @ x ~= b`` (numpy's ``lstsq``, solution only).

    Singular values below ``rcond`` times the largest count as zero (default: machine
    epsilon times the larger matrix side), computed through the SVD as numpy does.
    """
    a, b = _floating_pair(a, b)
    vector = b.ndim == 1
    b = b.unsqueeze(-1) if vector else b
    if a.device.type == "cpu":
        solution = torch.linalg.lstsq(a, b, rcond=rcond, driver="gelsd").solution
    else:  # CUDA has only the QR driver, which has no cutoff
        solution = torch.linalg.pinv(a, rtol=rcond) @ b
    return solution.squeeze(-1) if vector else solution


def lu_factor(x: TensorLike) -> tuple[Tensor, Tensor]:
    """LU factorisation with partial pivoting, as ``(lu, pivots)``: ``lu`` holds ``L``
    (unit diagonal, below) and ``U``; ``pivots`` are 0-based row swaps, as in scipy."""
    lu, pivots = torch.linalg.lu_factor(_square(x, "lu_factor"))
    return lu, pivots - 1


def qr(x: TensorLike, mode: str = "reduced") -> tuple[Tensor, Tensor]:
    """QR decomposition ``(q, r)``; ``mode`` is ``"reduced"`` (default) or ``"complete"``."""
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr expected mode 'reduced' or 'complete', received: mode={mode!r}")
    return tuple(torch.linalg.qr(_floating(x), mode=mode))


def svd(
    x: TensorLike, full_matrices: bool = True, compute_uv: bool = True
) -> tuple[Tensor, Tensor, Tensor] | Tensor:
    """Singular value decomposition ``(u, s, vh)`` with ``x == u @ diag(s) @ vh``, or only
    the singular values ``s`` (descending) when ``compute_uv`` is false."""
    x = _floating(x)
    if not compute_uv:
        return torch.linalg.svdvals(x)
    return tuple(torch.linalg.svd(x, full_matrices=full_matrices))


def eig(x: TensorLike) -> tuple[Tensor, Tensor]:
    """Eigenvalues and right eigenvectors of general square matrices (complex)."""
    return tuple(torch.linalg.eig(_square(x, "eig")))


def eigh(x: TensorLike) -> tuple[Tensor, Tensor]:
    """Eigenvalues (ascending) and eigenvectors of symmetric (Hermitian) matrices, read
    from their lower triangle."""
    return tuple(torch.linalg.eigh(_square(x, "eigh")))


def matrix_rank(x: TensorLike, tol: float | None = None) -> Tensor:
    """The number of singular values above ``tol`` (default: relative to the largest one
    and the machine epsilon, as numpy); int64."""
    return torch.linalg.matrix_rank(_floating(x), atol=tol)
