"""Shallow light-curve features (the paper's §4.1 baseline), computed with the ``light-curve``
package's Rust extractors over a whole shard at once.

They are computed on the same ≤ ``max_nights`` night-averaged sequence the transformer sees
(``mjd``, ``mag``, ``magerr`` of the preprocessed objects), so deep and shallow models compare
models, not data. The choice (docs/method.md, "Shallow light-curve features"):

- amplitude and spread: half amplitude, standard deviation, the 10–90 % inter-percentile range,
  the median absolute deviation, the fraction beyond 1σ;
- variability beyond the errors: reduced χ², excess variance, Stetson K, the Anderson–Darling
  normality statistic;
- time structure: η (von Neumann ratio) and its time-weighted ηᵉ (a smooth, red-noise light
  curve has a small η: the signature of a damped random walk), the cumulative-sum range, the
  linear trend and its significance;
- shape: skew, kurtosis, Otsu's two-level split (mean difference, the spreads and the share of
  the lower group: eclipses and outbursts);
- periodicity: the Lomb–Scargle peak's period and its signal-to-noise.

Light curves too short for a feature get NaN there (XGBoost learns a default branch for it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

#: Prefix of every shallow feature column.
PREFIX = "lc_"
#: Fewest nights a light curve needs for its features (kurtosis needs four); shorter: NaN.
MIN_EPOCHS = 4
#: The features that weigh the epochs by their photometric errors (the rest use magnitudes and
#: times only, like a transformer without ``error_input``).
ERROR_WEIGHTED = ("lc_chi2", "lc_excess_variance", "lc_stetson_k", "lc_eta_e")


def _extractor():  # type: ignore[no-untyped-def]
    import light_curve as lc

    return lc.Extractor(
        lc.Amplitude(),
        lc.StandardDeviation(),
        lc.InterPercentileRange(0.1),
        lc.MedianAbsoluteDeviation(),
        lc.BeyondNStd(1.0),
        lc.ReducedChi2(),
        lc.ExcessVariance(),
        lc.StetsonK(),
        lc.AndersonDarlingNormal(),
        lc.Eta(),
        lc.EtaE(),
        lc.Cusum(),
        lc.LinearTrend(),
        lc.Skew(),
        lc.Kurtosis(),
        lc.OtsuSplit(),
        lc.Periodogram(peaks=1, resolution=5.0, max_freq_factor=1.0, fast=True),
    )


def _column(name: str) -> str:
    return PREFIX + name.lower().replace("-", "_")


def feature_names() -> list[str]:
    """The feature columns, in the order :func:`light_curve_features` writes them."""
    return [_column(n) for n in _extractor().names]


def light_curve_features(
    offsets: np.ndarray,
    mjd: np.ndarray,
    mag: np.ndarray,
    magerr: np.ndarray,
    threads: int = 1,
) -> pd.DataFrame:
    """One row of :func:`feature_names` per light curve (``offsets`` into the flat, time-sorted
    ``mjd``, ``mag``, ``magerr`` arrays), float32; NaN rows for light curves of fewer than
    :data:`MIN_EPOCHS` nights, NaN where a feature is undefined."""
    extractor = _extractor()
    names = [_column(n) for n in extractor.names]
    offsets = np.asarray(offsets, dtype=np.int64)
    counts = np.diff(offsets)
    out = np.full((len(counts), len(names)), np.nan, dtype=np.float32)
    # Shorter curves get NaN rows without reaching the extractors (the periodogram panics on
    # a single epoch).
    long = counts >= MIN_EPOCHS
    if long.any():
        epochs = np.repeat(long, counts)
        fields = [pa.array(np.asarray(a, dtype=np.float64)[epochs]) for a in (mjd, mag, magerr)]
        # One Arrow list of (t, m, sigma) structs: read without a copy or a Python loop.
        curves = pa.ListArray.from_arrays(
            pa.array(np.concatenate([[0], np.cumsum(counts[long])]).astype(np.int32)),
            pa.StructArray.from_arrays(fields, names=["t", "m", "sigma"]),
        )
        out[long] = extractor.many(
            curves,
            arrow_fields={"t": "t", "m": "m", "sigma": "sigma"},
            fill_value=np.nan,
            sorted=True,
            check=False,
            n_jobs=threads,
        )
    return pd.DataFrame(out, columns=names)
