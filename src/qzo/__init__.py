"""QZO: the ZTF light-curve quasar catalog pipeline, as a library.

Subpackages by concern: ``config`` (schema, validation, typed settings), ``io`` (ZTF DR files,
external catalogs, HATS metadata, atomic writes), ``sky`` (HEALPix shards, zones search,
partition), ``arrays`` (segment and hash-random helpers), ``lightcurves`` (preprocessing,
duplicates, cross-match features), ``training`` (training set, stacking), ``models`` (Astromer,
XGBoost, metrics), ``products`` (catalogs, evaluation), ``simulate`` (the simulated sky),
``stages`` (one entry point per workflow rule) and ``testing`` (references and test helpers).
"""

import os

__version__ = "0.1.0"

# TensorFlow's oneDNN kernels on every x86 CPU, not only on those TensorFlow enables them for by
# default (AVX-512 and newer): 1.7x faster training steps on an AVX2 CPU, and the same kernels
# on every machine (docs/architecture.md, "CPU kernels"). Set before anything imports TensorFlow;
# TF_ENABLE_ONEDNN_OPTS=0 in the environment keeps the Eigen kernels.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
