"""Astromer v1 (Donoso-Oliva et al. 2023) in Keras 3: the encoder, published-weight loading,
windowing, batched inference, the two training stages and their use on training-set tables."""
