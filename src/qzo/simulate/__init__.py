"""The simulated ZTF sky: inputs in the real formats, plus the truth they were drawn from."""

from .run import LAYOUT, simulate_sky

__all__ = ["LAYOUT", "simulate_sky"]
