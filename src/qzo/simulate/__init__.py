"""The simulated ZTF sky: inputs in the real formats, plus the truth they were drawn from
(:func:`qzo.simulate.run.simulate_sky`). The package imports nothing itself, so the stages that
read only its constants (the variability processes) do not load the simulator's dependencies."""
