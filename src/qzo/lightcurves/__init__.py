"""Per-shard light-curve science: cleaning and night averaging (``preprocess``), duplicate flags
(``dedup``), and the AllWISE / PS1 / Gaia counterparts turned into features (``crossmatch``)."""
