"""How an embedding is stored: float32, little-endian, raw bytes (BinaryField).

Workers convert with torch (imported here only when a tensor is read or
written); the query path of "more like this" reads with numpy (`to_array`,
`to_matrix`), so web processes never load torch."""

from __future__ import annotations

import array
import sys

import numpy as np

FLOAT32 = np.dtype("<f4")


def encode(vector) -> bytes:
    """A 1-d float vector (tensor or sequence) as little-endian float32 bytes."""
    if hasattr(vector, "detach"):  # a tensor
        import torch  # noqa: PLC0415 - torch loads only in workers

        vector = vector.detach().to("cpu", torch.float32).reshape(-1).tolist()
    packed = array.array("f", vector)
    if sys.byteorder == "big":  # pragma: no cover - every platform we run on is little-endian
        packed.byteswap()
    return packed.tobytes()


def decode(blob):
    """A float32 tensor from stored bytes."""
    import torch  # noqa: PLC0415 - torch loads only in workers

    packed = array.array("f")
    packed.frombytes(bytes(blob))
    if sys.byteorder == "big":  # pragma: no cover
        packed.byteswap()
    return torch.frombuffer(bytearray(packed.tobytes()), dtype=torch.float32)


def decode_many(blobs: list):
    """An (N, D) tensor from N blobs of equal length, without a Python float per value."""
    import torch  # noqa: PLC0415 - torch loads only in workers

    joined = bytearray(b"".join(bytes(blob) for blob in blobs))
    if not joined:
        return torch.empty(0, 0)
    matrix = torch.frombuffer(joined, dtype=torch.float32).view(len(blobs), -1)
    if sys.byteorder == "big":  # pragma: no cover
        return torch.stack([decode(blob) for blob in blobs])
    return matrix


def to_array(blob) -> np.ndarray:
    """A float32 numpy vector from stored bytes (a copy: rows' buffers are transient)."""
    return np.frombuffer(bytes(blob), dtype=FLOAT32).astype(np.float32)


def to_matrix(blobs: list) -> np.ndarray:
    """An (N, D) float32 matrix from N blobs of equal length."""
    if not blobs:
        return np.empty((0, 0), dtype=np.float32)
    joined = b"".join(bytes(blob) for blob in blobs)
    return np.frombuffer(joined, dtype=FLOAT32).reshape(len(blobs), -1).astype(np.float32)
