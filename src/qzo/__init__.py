"""QZO: the ZTF light-curve quasar catalog pipeline, as a library.

Subpackages by concern: ``config`` (schema, validation, typed settings), ``io`` (ZTF DR files,
external catalogs, HATS metadata, atomic writes), ``sky`` (HEALPix shards, zones search,
partition), ``arrays`` (segment and hash-random helpers), ``lightcurves`` (preprocessing,
duplicates, cross-match features), ``training`` (training set, stacking), ``models`` (Astromer,
XGBoost, metrics), ``products`` (catalogs, evaluation), ``simulate`` (the simulated sky),
``stages`` (one entry point per workflow rule) and ``testing`` (references and test helpers).
"""

import os
import platform

__version__ = "0.1.0"

# TensorFlow's oneDNN kernels on every x86 CPU, not only on those TensorFlow enables them for by
# default (AVX-512 and newer): 1.7x faster training steps on an AVX2 CPU, and the same kernels
# on every machine (docs/architecture.md, "CPU kernels"). Set before anything imports TensorFlow;
# TF_ENABLE_ONEDNN_OPTS=0 in the environment keeps the Eigen kernels.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

# ... and no wider than AVX2: on an AVX-512 CPU oneDNN would sum the same float32 products in
# another order and train another transformer from the same inputs and config. With the cap an
# AVX-512 machine's default run gave every evaluation table of an AVX2 machine's byte for byte,
# for 1.04-1.13x longer fine-tuning epochs there (docs/architecture.md, "CPU kernels").
# ONEDNN_MAX_CPU_ISA=ALL in the environment lifts it.
if platform.machine().lower() in ("x86_64", "amd64"):
    os.environ.setdefault("ONEDNN_MAX_CPU_ISA", "AVX2")
