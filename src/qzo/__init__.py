"""QZO: the ZTF light-curve quasar catalog pipeline, as a library.

Subpackages by concern: ``config`` (schema, validation, typed settings), ``io`` (ZTF DR files,
external catalogs, HATS metadata, atomic writes), ``sky`` (HEALPix shards, zones search,
partition), ``arrays`` (segment and hash-random helpers), ``lightcurves`` (preprocessing,
duplicates, cross-match features), ``training`` (training set, stacking), ``models`` (Astromer,
XGBoost, metrics), ``products`` (catalogs, evaluation), ``simulate`` (the simulated sky),
``stages`` (one entry point per workflow rule) and ``testing`` (references and test helpers).
"""

__version__ = "0.1.0"
