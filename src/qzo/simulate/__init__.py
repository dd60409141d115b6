"""The simulated ZTF sky: inputs in the real formats, plus the truth they were drawn from."""

from qzo.simulate.run import SimulatedSkyPaths, simulate_sky

__all__ = ["SimulatedSkyPaths", "simulate_sky"]
