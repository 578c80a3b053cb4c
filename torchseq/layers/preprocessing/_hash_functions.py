"""The hash functions behind Keras's hashing layers, in Python and in torch.

Keras hashes through TensorFlow: ``tf.strings.to_hash_bucket_fast`` is FarmHash's
``Fingerprint64`` of the UTF-8 bytes, ``to_hash_bucket_strong`` is SipHash-2-4 keyed by the
salt, and ``tf.sparse.cross_hashed`` chains feature fingerprints with ``FingerprintCat64``.
The same functions are written here so that bins agree with Keras's bit for bit.

Strings are hashed one at a time in Python (there are no string tensors). Integers are
hashed as their decimal text, as TensorFlow does, but vectorised in torch on the tensor's
own device: a decimal int64 is at most 20 bytes, so only FarmHash's short-input branches
are needed. torch's int64 arithmetic wraps on overflow, which is uint64 arithmetic on the
same bits; right shifts are masked to make them logical.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = [
    "fingerprint64",
    "fingerprint64_of_ints",
    "fingerprint_cat64",
    "fingerprint_cat64_tensors",
    "siphash64",
    "unsigned_mod",
]

_MASK = (1 << 64) - 1
_K0 = 0xC3A5C85C97CB3127
_K1 = 0xB492B66FBE98F273
_K2 = 0x9AE16A3B2F90404F
_K_MUL = 0x9DDFEA08EB382D69
_CAT_MUL = 0xC6A4A7935BD1E995


# ---------------------------------------------------------------------- Python (any length)


def _rotate(value: int, shift: int) -> int:
    return ((value >> shift) | (value << (64 - shift))) & _MASK


def _shift_mix(value: int) -> int:
    return value ^ (value >> 47)


def _fetch64(data: bytes, offset: int) -> int:
    return int.from_bytes(data[offset : offset + 8], "little")


def _fetch32(data: bytes, offset: int) -> int:
    return int.from_bytes(data[offset : offset + 4], "little")


def _hash_len16(u: int, v: int, mul: int = _K_MUL) -> int:
    a = ((u ^ v) * mul) & _MASK
    a ^= a >> 47
    b = ((v ^ a) * mul) & _MASK
    b ^= b >> 47
    return (b * mul) & _MASK


def _hash_len0to16(data: bytes) -> int:
    length = len(data)
    if length >= 8:
        mul = _K2 + length * 2
        a = (_fetch64(data, 0) + _K2) & _MASK
        b = _fetch64(data, length - 8)
        c = (_rotate(b, 37) * mul + a) & _MASK
        d = ((_rotate(a, 25) + b) * mul) & _MASK
        return _hash_len16(c, d, mul)
    if length >= 4:
        mul = _K2 + length * 2
        a = _fetch32(data, 0)
        return _hash_len16(length + (a << 3), _fetch32(data, length - 4), mul)
    if length > 0:
        y = data[0] + (data[length >> 1] << 8)
        z = length + (data[length - 1] << 2)
        return (_shift_mix(((y * _K2) ^ (z * _K0)) & _MASK) * _K2) & _MASK
    return _K2


def _hash_len17to32(data: bytes) -> int:
    length = len(data)
    mul = _K2 + length * 2
    a = (_fetch64(data, 0) * _K1) & _MASK
    b = _fetch64(data, 8)
    c = (_fetch64(data, length - 8) * mul) & _MASK
    d = (_fetch64(data, length - 16) * _K2) & _MASK
    return _hash_len16(
        (_rotate((a + b) & _MASK, 43) + _rotate(c, 30) + d) & _MASK,
        (a + _rotate((b + _K2) & _MASK, 18) + c) & _MASK,
        mul,
    )


def _hash_len33to64(data: bytes) -> int:
    length = len(data)
    mul = _K2 + length * 2
    a = (_fetch64(data, 0) * _K2) & _MASK
    b = _fetch64(data, 8)
    c = (_fetch64(data, length - 8) * mul) & _MASK
    d = (_fetch64(data, length - 16) * _K2) & _MASK
    y = (_rotate((a + b) & _MASK, 43) + _rotate(c, 30) + d) & _MASK
    z = _hash_len16(y, (a + _rotate((b + _K2) & _MASK, 18) + c) & _MASK, mul)
    e = (_fetch64(data, 16) * mul) & _MASK
    f = _fetch64(data, 24)
    g = ((y + _fetch64(data, length - 32)) * mul) & _MASK
    h = ((z + _fetch64(data, length - 24)) * mul) & _MASK
    return _hash_len16(
        (_rotate((e + f) & _MASK, 43) + _rotate(g, 30) + h) & _MASK,
        (e + _rotate((f + a) & _MASK, 18) + g) & _MASK,
        mul,
    )


def _weak_hash_len32_with_seeds(data: bytes, offset: int, a: int, b: int) -> tuple[int, int]:
    w, x, y, z = (_fetch64(data, offset + 8 * i) for i in range(4))
    a = (a + w) & _MASK
    b = _rotate((b + a + z) & _MASK, 21)
    c = a
    a = (a + x + y) & _MASK
    b = (b + _rotate(a, 44)) & _MASK
    return (a + z) & _MASK, (b + c) & _MASK


def _hash_long(data: bytes) -> int:
    """FarmHash's loop over 64-byte blocks, for inputs longer than 64 bytes."""
    length = len(data)
    seed = 81
    x = seed
    y = (seed * _K1 + 113) & _MASK
    z = (_shift_mix((y * _K2 + 113) & _MASK) * _K2) & _MASK
    v = (0, 0)
    w = (0, 0)
    x = (x * _K2 + _fetch64(data, 0)) & _MASK
    end = ((length - 1) // 64) * 64
    last64 = end + ((length - 1) & 63) - 63
    offset = 0
    while True:
        x = (_rotate((x + y + v[0] + _fetch64(data, offset + 8)) & _MASK, 37) * _K1) & _MASK
        y = (_rotate((y + v[1] + _fetch64(data, offset + 48)) & _MASK, 42) * _K1) & _MASK
        x ^= w[1]
        y = (y + v[0] + _fetch64(data, offset + 40)) & _MASK
        z = (_rotate((z + w[0]) & _MASK, 33) * _K1) & _MASK
        v = _weak_hash_len32_with_seeds(data, offset, (v[1] * _K1) & _MASK, (x + w[0]) & _MASK)
        w = _weak_hash_len32_with_seeds(
            data, offset + 32, (z + w[1]) & _MASK, (y + _fetch64(data, offset + 16)) & _MASK
        )
        z, x = x, z
        offset += 64
        if offset == end:
            break
    mul = _K1 + ((z & 0xFF) << 1)
    offset = last64
    w = ((w[0] + ((length - 1) & 63)) & _MASK, w[1])
    v = ((v[0] + w[0]) & _MASK, v[1])
    w = ((w[0] + v[0]) & _MASK, w[1])
    x = (_rotate((x + y + v[0] + _fetch64(data, offset + 8)) & _MASK, 37) * mul) & _MASK
    y = (_rotate((y + v[1] + _fetch64(data, offset + 48)) & _MASK, 42) * mul) & _MASK
    x ^= (w[1] * 9) & _MASK
    y = (y + v[0] * 9 + _fetch64(data, offset + 40)) & _MASK
    z = (_rotate((z + w[0]) & _MASK, 33) * mul) & _MASK
    v = _weak_hash_len32_with_seeds(data, offset, (v[1] * mul) & _MASK, (x + w[0]) & _MASK)
    w = _weak_hash_len32_with_seeds(
        data, offset + 32, (z + w[1]) & _MASK, (y + _fetch64(data, offset + 16)) & _MASK
    )
    z, x = x, z
    return _hash_len16(
        (_hash_len16(v[0], w[0], mul) + _shift_mix(y) * _K0 + z) & _MASK,
        (_hash_len16(v[1], w[1], mul) + x) & _MASK,
        mul,
    )


def fingerprint64(data: bytes) -> int:
    """FarmHash ``Fingerprint64`` of ``data``, as an unsigned 64-bit Python int.

    Example:
        >>> fingerprint64(b"A") % 3
        1
    """
    length = len(data)
    if length <= 16:
        return _hash_len0to16(data)
    if length <= 32:
        return _hash_len17to32(data)
    if length <= 64:
        return _hash_len33to64(data)
    return _hash_long(data)


def fingerprint_cat64(first: int, second: int) -> int:
    """Combine two fingerprints, order-dependent (TensorFlow's ``FingerprintCat64``)."""
    result = first ^ _CAT_MUL
    result ^= (_shift_mix((second * _CAT_MUL) & _MASK) * _CAT_MUL) & _MASK
    result = (result * _CAT_MUL) & _MASK
    result = (_shift_mix(result) * _CAT_MUL) & _MASK
    return _shift_mix(result)


def _rotate_left(value: int, shift: int) -> int:
    return ((value << shift) | (value >> (64 - shift))) & _MASK


def siphash64(data: bytes, key: Sequence[int]) -> int:
    """SipHash-2-4 of ``data`` keyed by two 64-bit ints (``to_hash_bucket_strong``)."""
    k0, k1 = (int(part) & _MASK for part in key)
    state = [
        k0 ^ 0x736F6D6570736575,
        k1 ^ 0x646F72616E646F6D,
        k0 ^ 0x6C7967656E657261,
        k1 ^ 0x7465646279746573,
    ]

    def rounds(count: int) -> None:
        v0, v1, v2, v3 = state
        for _ in range(count):
            v0 = (v0 + v1) & _MASK
            v1 = _rotate_left(v1, 13) ^ v0
            v0 = _rotate_left(v0, 32)
            v2 = (v2 + v3) & _MASK
            v3 = _rotate_left(v3, 16) ^ v2
            v0 = (v0 + v3) & _MASK
            v3 = _rotate_left(v3, 21) ^ v0
            v2 = (v2 + v1) & _MASK
            v1 = _rotate_left(v1, 17) ^ v2
            v2 = _rotate_left(v2, 32)
        state[:] = [v0, v1, v2, v3]

    whole = len(data) - len(data) % 8
    blocks = [_fetch64(data, offset) for offset in range(0, whole, 8)]
    blocks.append(int.from_bytes(data[whole:], "little") | ((len(data) & 0xFF) << 56))
    for block in blocks:
        state[3] ^= block
        rounds(2)
        state[0] ^= block
    state[2] ^= 0xFF
    rounds(4)
    return state[0] ^ state[1] ^ state[2] ^ state[3]


# ---------------------------------------------------------------------- torch (integers)


def _signed(value: int) -> int:
    """An unsigned 64-bit constant as the int64 with the same bits."""
    return value - (1 << 64) if value >= 1 << 63 else value


def _lsr(value: torch.Tensor, shift: int) -> torch.Tensor:
    return (value >> shift) & ((1 << (64 - shift)) - 1)


def _t_rotate(value: torch.Tensor, shift: int) -> torch.Tensor:
    return _lsr(value, shift) | (value << (64 - shift))


def _t_shift_mix(value: torch.Tensor) -> torch.Tensor:
    return value ^ _lsr(value, 47)


def _t_hash_len16(u: torch.Tensor, v: torch.Tensor, mul: torch.Tensor) -> torch.Tensor:
    a = (u ^ v) * mul
    a = a ^ _lsr(a, 47)
    b = (v ^ a) * mul
    b = b ^ _lsr(b, 47)
    return b * mul


def _t_fetch(data: torch.Tensor, offset: torch.Tensor, width: int) -> torch.Tensor:
    """Little-endian ``width``-byte words of each row, starting at per-row ``offset``."""
    columns = offset.unsqueeze(-1) + torch.arange(width, device=data.device)
    parts = torch.gather(data, 1, columns.clamp(0, data.shape[1] - 1))
    shifts = torch.arange(0, 8 * width, 8, device=data.device)
    return (parts << shifts).sum(dim=1)


def _decimal_bytes(values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The ASCII decimal text of int64 ``values`` (flat) as a byte matrix and lengths."""
    negative = values < 0
    # Work on non-positive magnitudes: -(int64 min) does not exist, int64 min itself does.
    rest = torch.where(negative, values, -values)
    digits = []
    for _ in range(19):
        digits.append(-torch.fmod(rest, 10))
        rest = torch.div(rest, 10, rounding_mode="trunc")
    digits_lsd_first = torch.stack(digits, dim=1)
    nonzero = digits_lsd_first != 0
    positions = torch.arange(19, device=values.device)
    count = torch.where(nonzero, positions + 1, 0).amax(dim=1).clamp_min(1)
    sign = negative.long()
    length = count + sign
    width = 24  # 20 bytes at most, with room for the 8-byte reads past the end
    column = torch.arange(width, device=values.device).unsqueeze(0)
    digit_index = count.unsqueeze(1) - 1 - (column - sign.unsqueeze(1))
    is_digit = (column >= sign.unsqueeze(1)) & (digit_index >= 0)
    picked = torch.gather(digits_lsd_first, 1, digit_index.clamp(0, 18))
    text = torch.where(is_digit, picked + ord("0"), 0)
    text = torch.where((column == 0) & negative.unsqueeze(1), ord("-"), text)
    return text, length


def fingerprint64_of_ints(values: torch.Tensor) -> torch.Tensor:
    """FarmHash ``Fingerprint64`` of each int's decimal text, as int64 bits, any shape.

    Runs on ``values``' device with no Python loop over elements; equals
    ``fingerprint64(str(v).encode())`` for every int64 ``v``.
    """
    flat = values.reshape(-1).long()
    data, length = _decimal_bytes(flat)
    k0, k1, k2 = (torch.tensor(_signed(k), device=flat.device) for k in (_K0, _K1, _K2))
    mul = k2 + length * 2
    zero = torch.zeros_like(length)

    # 1 to 3 bytes
    first = data[:, 0]
    middle = torch.gather(data, 1, (length >> 1).unsqueeze(1)).squeeze(1)
    last = torch.gather(data, 1, (length - 1).unsqueeze(1)).squeeze(1)
    y = first + (middle << 8)
    z = length + (last << 2)
    tiny = _t_shift_mix((y * k2) ^ (z * k0)) * k2
    # 4 to 7 bytes
    a32 = _t_fetch(data, zero, 4)
    short = _t_hash_len16(length + (a32 << 3), _t_fetch(data, length - 4, 4), mul)
    # 8 to 16 bytes
    a = _t_fetch(data, zero, 8) + k2
    b = _t_fetch(data, length - 8, 8)
    c = _t_rotate(b, 37) * mul + a
    d = (_t_rotate(a, 25) + b) * mul
    medium = _t_hash_len16(c, d, mul)
    # 17 to 32 bytes (20 at most here)
    a = _t_fetch(data, zero, 8) * k1
    b = _t_fetch(data, zero + 8, 8)
    c = _t_fetch(data, length - 8, 8) * mul
    d = _t_fetch(data, length - 16, 8) * k2
    long = _t_hash_len16(
        _t_rotate(a + b, 43) + _t_rotate(c, 30) + d, a + _t_rotate(b + k2, 18) + c, mul
    )
    hashed = torch.where(
        length <= 3,
        tiny,
        torch.where(length <= 7, short, torch.where(length <= 16, medium, long)),
    )
    return hashed.reshape(values.shape)


def fingerprint_cat64_tensors(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """:func:`fingerprint_cat64` elementwise on int64 tensors holding uint64 bits."""
    mul = torch.tensor(_signed(_CAT_MUL), device=first.device)
    result = first ^ mul
    result = result ^ (_t_shift_mix(second * mul) * mul)
    result = result * mul
    result = _t_shift_mix(result) * mul
    return _t_shift_mix(result)


def unsigned_mod(bits: torch.Tensor, divisor: int) -> torch.Tensor:
    """``uint64(bits) % divisor`` for int64 tensors holding uint64 bits."""
    remainder = torch.remainder(bits, divisor)
    # A negative int64 is the uint64 ``bits + 2**64``.
    wrapped = torch.remainder(remainder + (1 << 64) % divisor, divisor)
    return torch.where(bits < 0, wrapped, remainder)
