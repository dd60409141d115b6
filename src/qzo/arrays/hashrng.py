"""Counter-based random numbers: a deviate is a pure function of (key, counter).

Used where the same source must get the same random draws whichever file, shard or subset of
epochs asks for them (e.g. a duplicate seen in two fields), without a Python loop per source.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    x = x + _GOLDEN
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


def hashed_uniform(key: ArrayLike, counter: ArrayLike) -> np.ndarray:
    """Uniform deviates in (0, 1), broadcast over ``key`` and ``counter`` (integers)."""
    k = np.asarray(key).astype(np.uint64)
    c = np.asarray(counter).astype(np.uint64)
    with np.errstate(over="ignore"):
        bits = _splitmix64(_splitmix64(k) ^ (c * _M2 + np.uint64(1)))
    return ((bits >> np.uint64(11)).astype(np.float64) + 0.5) * (1.0 / 2**53)


def hashed_normal(key: ArrayLike, counter: ArrayLike) -> np.ndarray:
    """Standard normal deviates (Box–Muller on two hashed uniforms)."""
    c = np.asarray(counter).astype(np.uint64) * np.uint64(2)
    u1 = hashed_uniform(key, c)
    u2 = hashed_uniform(key, c + np.uint64(1))
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
