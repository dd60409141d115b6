"""Not runtime code: slow reference implementations in the style of the authors' code (checks
and benchmark baselines), the ``ASTROMER`` package as reference, and the Snakemake runner that
the tests and benchmarks use."""
