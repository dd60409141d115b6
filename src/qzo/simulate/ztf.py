"""Observe sources with a simulated ZTF: detections, noise, flags, and IRSA-format Parquet files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from numpy.typing import ArrayLike

from qzo.io.atomic import write_parquet_atomic
from qzo.io.ztf_format import CATFLAG_UNUSABLE, FILTER_IDS, DRFileName, dr_schema, encode_objectid
from qzo.simulate.schedule import Exposures, sun_ecliptic_longitude
from qzo.simulate.variability import VariabilityModel

# Fitted to the clean epochs of the real DR5 fixture (tests/data, docs/simulation.md): a
# calibration floor, and a photometric term that grows by 10^0.3 per magnitude (between the
# source- and sky-limited slopes) and reaches SNR 5 at 0.4 mag brighter than the exposure's
# nominal 5σ depth (DR magerr are empirical: they include the repeatability scatter).
_MAGERR_FLOOR = 0.0145
_SNR5_TERM = 1.0857 / 5.0
_MAGERR_SLOPE = 0.3
_MAGERR_DEPTH_OFFSET = 0.4
_DETECTION_OFFSET, _DETECTION_WIDTH = 0.35, 0.12
_PER_EPOCH_BAD = 0.08
_WORST_OF_BAD = 0.01  # all bits set (65535), as ~0.1 % of real epochs
_HARMLESS_BITS = np.array([1, 2, 4, 16, 256, 512], dtype=np.uint16)
_HARMLESS_RATE = 0.002
_NAN_RATE = 2e-4
_LIGHT_TIME_AU_DAYS = 499.004784 / 86400.0
_OBLIQUITY = np.radians(23.4392911)
_ASTROMETRIC_SIGMA_ARCSEC = 0.06


def magerr_model(mag: ArrayLike, limmag: ArrayLike) -> np.ndarray:
    """1σ magnitude error as real DR files report it: a calibration floor of 0.0145 mag and a
    photometric term reaching SNR = 5 at ``limmag`` − 0.4 (see the module constants)."""
    excess = np.asarray(mag, float) - np.asarray(limmag, float) + _MAGERR_DEPTH_OFFSET
    return np.sqrt(_MAGERR_FLOOR**2 + _SNR5_TERM**2 * 10 ** (2 * _MAGERR_SLOPE * excess))


def ecliptic_angles(ra_deg: ArrayLike, dec_deg: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Ecliptic longitude and latitude (radians) of equatorial positions."""
    ra, dec = np.radians(ra_deg), np.radians(dec_deg)
    sinb = np.sin(dec) * np.cos(_OBLIQUITY) - np.cos(dec) * np.sin(_OBLIQUITY) * np.sin(ra)
    lam = np.arctan2(np.sin(ra) * np.cos(_OBLIQUITY) + np.tan(dec) * np.sin(_OBLIQUITY), np.cos(ra))
    return lam, np.arcsin(sinb)


def heliocentric_offset(mjd: ArrayLike, ra_deg: ArrayLike, dec_deg: ArrayLike) -> np.ndarray:
    """hmjd − mjd (days): light-travel time along the Earth–Sun vector projected on the source."""
    lam, beta = ecliptic_angles(ra_deg, dec_deg)
    earth = np.radians(sun_ecliptic_longitude(mjd) + 180.0)
    return _LIGHT_TIME_AU_DAYS * np.cos(beta) * np.cos(lam - earth)


def observe_file(
    sources: pd.DataFrame,
    model: VariabilityModel,
    rows: np.ndarray,
    exposures: Exposures,
    band: str,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Observe ``sources.iloc[rows]`` at the exposures; return flat epoch arrays + counts.

    An object enters an epoch when a detection draw passes (probability falls over ~0.1 mag around
    the exposure's limit + 0.35), so faint objects miss epochs and bias bright near the limit.
    """
    src = sources.iloc[rows]
    base = src["mag_g"].to_numpy() - (src["g_r"].to_numpy() if band == "r" else 0.0)
    true = base[:, None] + model.delta_mag(exposures.mjd, band, rows)
    p_det = 1.0 / (
        1.0 + np.exp((true - exposures.limmag[None, :] - _DETECTION_OFFSET) / _DETECTION_WIDTH)
    )
    det = rng.random(true.shape) < p_det
    r, c = np.nonzero(det)
    m_true = true[r, c]
    limmag = exposures.limmag[c]
    err = magerr_model(m_true, limmag)
    mag = m_true + err * rng.standard_normal(len(r))
    ext = src["extendedness"].to_numpy()[r]
    mag += ext * (0.08 * (exposures.seeing[c] - 2.0) + 0.02 * rng.standard_normal(len(r)))

    flags = np.zeros(len(r), dtype=np.uint16)
    cloudy = exposures.cloudy[c]
    bad = cloudy | (rng.random(len(r)) < _PER_EPOCH_BAD)
    flags[bad] = CATFLAG_UNUSABLE
    worst = bad & (rng.random(len(r)) < _WORST_OF_BAD)
    flags[worst] = 65535
    harmless = rng.random(len(r)) < _HARMLESS_RATE
    flags[harmless] |= rng.choice(_HARMLESS_BITS, harmless.sum())
    # Unusable photometry is corrupted: clouds dim it, other failures scatter it.
    mag = np.where(bad, mag + np.abs(rng.normal(0.3, 0.5, len(r))), mag)
    mag = np.where(rng.random(len(r)) < _NAN_RATE, np.nan, mag)

    ra, dec = src["ztf_ra"].to_numpy(), src["ztf_dec"].to_numpy()
    hmjd = exposures.mjd[c] + heliocentric_offset(exposures.mjd[c], ra[r], dec[r])
    return {
        "counts": det.sum(1),
        "hmjd": hmjd,
        "mag": mag.astype(np.float32),
        "magerr": err.astype(np.float32),
        "clrcoeff": exposures.clrcoeff[c],
        "catflags": flags,
    }


def write_dr_file(
    out_dir: Path,
    name: DRFileName,
    src: pd.DataFrame,
    epochs: dict[str, np.ndarray],
    hmjd_type: str,
) -> tuple[Path, pd.DataFrame]:
    """Write one IRSA-format file for the objects with ≥1 epoch; return its path and id table.

    ``src`` rows must be in the file's object order (declination order, as in a ZTF reference-image
    source list); objects are numbered from seq 1 in that order.
    """
    counts = epochs["counts"]
    order = np.flatnonzero(counts > 0)
    offsets = np.concatenate([[0], np.cumsum(counts[order])]).astype(np.int32)
    n = len(order)
    oid = encode_objectid(
        np.full(n, name.fieldid),
        np.full(n, FILTER_IDS[name.band]),
        np.full(n, name.rcid),
        np.arange(1, n + 1),
    )
    hmjd_pa = pa.float64() if hmjd_type == "float64" else pa.float32()
    schema = dr_schema(hmjd_pa)

    def lists(col: str, typ: pa.DataType) -> pa.ListArray:
        return pa.ListArray.from_arrays(pa.array(offsets), pa.array(epochs[col], type=typ))

    table = pa.table(
        {
            "objectid": pa.array(oid, pa.int64()),
            "filterid": pa.array(np.full(n, FILTER_IDS[name.band], np.uint8)),
            "fieldid": pa.array(np.full(n, name.fieldid, np.int16)),
            "rcid": pa.array(np.full(n, name.rcid, np.uint8)),
            "objra": pa.array(src["ztf_ra"].to_numpy()[order].astype(np.float32)),
            "objdec": pa.array(src["ztf_dec"].to_numpy()[order].astype(np.float32)),
            "nepochs": pa.array(counts[order].astype(np.int64)),
            "hmjd": lists("hmjd", hmjd_pa),
            "mag": lists("mag", pa.float32()),
            "magerr": lists("magerr", pa.float32()),
            "clrcoeff": lists("clrcoeff", pa.float32()),
            "catflags": lists("catflags", pa.uint16()),
        },
        schema=schema,
    )
    path = out_dir / name.relpath
    write_parquet_atomic(table, path)
    ids = pd.DataFrame(
        {
            "objectid": oid,
            "source_id": src["source_id"].to_numpy()[order],
            "fieldid": name.fieldid,
            "rcid": name.rcid,
            "band": name.band,
            "nepochs": counts[order],
        }
    )
    return path, ids
