"""Astromer v1 (Donoso-Oliva et al. 2023) in Keras 3: encoder, published-weight loader, windows."""
