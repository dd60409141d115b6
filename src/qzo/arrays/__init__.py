"""Vectorised array helpers: segments of flat arrays (light curves as epochs + offsets) and
counter-based random numbers keyed by ids (reproducible per object, whatever the sharding),
distinct values by sorting."""
