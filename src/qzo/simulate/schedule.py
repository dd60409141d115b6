"""Per-field observing schedules: which exposures a field got, and the conditions of each."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

#: Start of the ZTF phase-II survey (two-night cadence), December 2020.
PHASE2_START_MJD = 59184.0
_VERNAL_EQUINOX_MJD = 58197.7
_NEW_MOON_MJD = 58194.6
_SYNODIC_MONTH = 29.530589
_CLRCOEFF = {"g": (-0.03, 0.025), "r": (0.09, 0.02), "i": (0.05, 0.02)}
_CLOUDY_FRACTION = 0.06


@dataclass
class Exposures:
    """One field's exposures in one band, sorted by time."""

    mjd: np.ndarray
    limmag: np.ndarray  # 5σ limiting magnitude
    seeing: np.ndarray  # arcsec FWHM
    clrcoeff: np.ndarray
    cloudy: np.ndarray  # whole exposure flagged unusable (catflags bit 15)

    def __len__(self) -> int:
        return len(self.mjd)


def sun_ecliptic_longitude(mjd: ArrayLike) -> np.ndarray:
    """Apparent ecliptic longitude of the Sun in degrees (low-precision almanac formula)."""
    d = np.asarray(mjd) - 51544.5
    g = np.radians(357.528 + 0.9856003 * d)
    return np.mod(280.460 + 0.9856474 * d + 1.915 * np.sin(g) + 0.020 * np.sin(2 * g), 360.0)


def field_exposures(
    field_ra: float,
    field_dec: float,
    band: str,
    cfg: dict,
    rng: np.random.Generator,
    secondary: bool = False,
    plane: bool = False,
) -> Exposures:
    """Draw a field's schedule over ``cfg['time_range']``.

    Seasonal visibility (field RA against the anti-solar RA, circumpolar fields longer), a 3-night
    cadence in phase I and 2-night in phase II thinned by a per-field programme weight, weather
    losses, 1–2 visits a night, and on some fields deep-drilling nights of tens of exposures.
    Secondary-grid fields are visited less often; Galactic-plane fields (``plane``) get the
    high-cadence plane survey's nightly visits.
    """
    t0, t1 = cfg["time_range"]
    nights = np.arange(int(np.floor(t0)), int(np.ceil(t1)))
    anti_sun = np.mod(sun_ecliptic_longitude(nights + 0.3) + 180.0, 360.0)
    sep = np.abs(np.mod(field_ra - anti_sun + 180.0, 360.0) - 180.0)
    half_window = 100.0 + 60.0 * np.clip((field_dec - 40.0) / 50.0, 0, 1)
    visible = (sep < half_window) & (field_dec > -31.0)

    if plane:
        thinning = 1
        scheduled = rng.random(len(nights)) < 0.5
    else:
        cadence = np.where(nights < PHASE2_START_MJD, 3, 2)
        thinning = rng.choice([1, 2, 3, 4], p=[0.3, 0.35, 0.2, 0.15])
        scheduled = ((nights + rng.integers(0, 64)) % (cadence * thinning)) == 0
    if secondary:
        scheduled &= rng.random(len(nights)) < 1 / 3
    clear = _weather(len(nights), rng)
    obs_nights = nights[visible & scheduled & clear]

    visits = 1 + (rng.random(len(obs_nights)) < (0.6 if thinning == 1 else 0.25))
    epochs = [np.repeat(obs_nights, visits).astype(float)]
    if not secondary and rng.random() < cfg["deep_drilling_fraction"]:
        dd_nights = (
            rng.choice(nights[visible], size=min(rng.integers(3, 10), visible.sum()), replace=False)
            if visible.any()
            else np.array([], int)
        )
        for night in dd_nights:
            epochs.append(np.full(rng.integers(20, 80), float(night)))
    mjd = np.concatenate(epochs)
    # Observations between ~03:00 and ~12:30 UT (Palomar night), one visit's jitter inside it.
    mjd = np.sort(mjd + rng.uniform(0.13, 0.52, len(mjd)))
    mjd = mjd[(mjd >= t0) & (mjd <= t1)]
    return _conditions(mjd, band, cfg, rng)


def _weather(n_nights: int, rng: np.random.Generator) -> np.ndarray:
    """Clear nights, with bad weather in multi-night runs (a two-state Markov chain)."""
    clear = np.empty(n_nights, dtype=bool)
    u = rng.random(n_nights)
    state = True
    for i in range(n_nights):  # one loop per field over ~2000 nights: cheap, not per object
        state = u[i] > 0.12 if state else u[i] > 0.55
        clear[i] = state
    return clear


def _conditions(mjd: np.ndarray, band: str, cfg: dict, rng: np.random.Generator) -> Exposures:
    n = len(mjd)
    moon = 0.5 * (1 - np.cos(2 * np.pi * (mjd - _NEW_MOON_MJD) / _SYNODIC_MONTH))
    seeing = 2.0 * np.exp(rng.normal(0, 0.25, n))
    limmag = (
        cfg["limiting_mag_5sigma"][band]
        + rng.normal(0, 0.3, n)
        - 0.4 * (moon - 0.5)
        - 2.5 * np.log10(seeing / 2.0)
    )
    cloudy = rng.random(n) < _CLOUDY_FRACTION
    limmag = np.where(cloudy, limmag - rng.uniform(0.5, 2.0, n), limmag)
    mu, sd = _CLRCOEFF[band]
    return Exposures(
        mjd=mjd,
        limmag=limmag,
        seeing=seeing,
        clrcoeff=rng.normal(mu, sd, n).astype(np.float32),
        cloudy=cloudy,
    )
