"""A Box space with Gymnasium's attributes (shape, low, high, dtype), without depending on it."""
import numpy as np


class Box:
    """A box of real vectors: ``low <= x <= high`` componentwise (bounds may be infinite).

    It carries what crossq and Gymnasium-style code read from a space: ``shape``, ``low``,
    ``high``, ``dtype``, ``sample()`` and ``contains()``."""

    def __init__(self, low, high, shape=None, dtype=np.float32):
        self.dtype = np.dtype(dtype)
        if shape is None:
            shape = np.broadcast(np.asarray(low), np.asarray(high)).shape
        self.shape = tuple(int(d) for d in shape)
        self.low = np.broadcast_to(np.asarray(low, dtype=self.dtype), self.shape).copy()
        self.high = np.broadcast_to(np.asarray(high, dtype=self.dtype), self.shape).copy()
        if np.any(self.low > self.high):
            raise ValueError("Box: low must not exceed high")

    def is_bounded(self):
        return bool(np.all(np.isfinite(self.low)) and np.all(np.isfinite(self.high)))

    def sample(self, rng=None):
        """A uniform sample for bounded components, a standard normal one for unbounded ones."""
        rng = np.random.default_rng() if rng is None else rng
        bounded = np.isfinite(self.low) & np.isfinite(self.high)
        lo = np.where(bounded, self.low, 0.0)
        hi = np.where(bounded, self.high, 0.0)
        x = np.where(bounded, rng.uniform(lo, hi, self.shape), rng.standard_normal(self.shape))
        return np.clip(x, self.low, self.high).astype(self.dtype)

    def contains(self, x):
        x = np.asarray(x)
        return x.shape == self.shape and bool(np.all(x >= self.low) and np.all(x <= self.high))

    __contains__ = contains

    def __eq__(self, other):
        return (isinstance(other, Box) and self.shape == other.shape and self.dtype == other.dtype
                and np.array_equal(self.low, other.low) and np.array_equal(self.high, other.high))

    def __repr__(self):
        lo = self.low.min() if self.low.size else 0.0
        hi = self.high.max() if self.high.size else 0.0
        return f"Box({lo}, {hi}, {self.shape}, {self.dtype})"
