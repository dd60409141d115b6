"""Intrinsic variability: parameters per source and magnitude offsets Δm(t), vectorised.

Every model is a deterministic function of the source's parameters and a per-source random
stream, so one source observed in two fields (a duplicate) varies consistently in both.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from qzo.arrays.hashrng import hashed_uniform
from qzo.simulate.sky import QSO_Z_RANGE, draw_categories

VAR_TYPES = ("constant", "drw", "red_noise", "pulsator", "eclipsing", "lpv", "cv")
_STAR_MIX = {
    "constant": 0.80,
    "red_noise": 0.12,
    "pulsator": 0.03,
    "eclipsing": 0.03,
    "lpv": 0.015,
    "cv": 0.005,
}
#: Variable types that occur only among stars of some g − r colours: long-period variables are red
#: giants; RR Lyrae and δ Scuti pulsators and cataclysmic variables are blue. The others occur at
#: any colour. Each type keeps its share of all stars (``_STAR_MIX``).
STAR_COLOUR_RANGE = {
    "lpv": (1.0, np.inf),
    "pulsator": (-np.inf, 1.0),
    "cv": (-np.inf, 1.0),
}
_LLAGN_FRACTION = 0.04
#: The damped random walks' parameter ranges: log10 τ (days; a QSO's in its rest frame, observed
#: × (1 + z)) and SF∞ (mag) of QSOs, of the low-luminosity AGN among galaxies and of the
#: red-noise stars.
QSO_LOG_TAU_REST, QSO_SF = (1.8, 2.8), (0.1, 0.35)
LLAGN_LOG_TAU, LLAGN_SF = (1.8, 2.8), (0.03, 0.08)
RED_NOISE_LOG_TAU, RED_NOISE_SF = (0.0, 1.5), (0.01, 0.05)
#: Amplitude in each band relative to g.
BAND_AMPLITUDE = {"g": 1.0, "r": 0.8, "i": 0.7}


def assign_variability(src: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Add var_type, tau (observed-frame days), sf_inf (mag), period (d), amplitude (mag), phase."""
    n = len(src)
    cls = src["class"].to_numpy().astype(str)
    var = np.full(n, "constant", dtype=object)
    tau = np.full(n, np.nan)
    sf = np.full(n, np.nan)
    period = np.full(n, np.nan)
    amp = np.full(n, np.nan)

    q = cls == "qso"
    # Damped random walk (MacLeod et al. 2010): τ_rest 10^1.8–10^2.8 d, SF∞ lower for luminous QSOs.
    var[q] = "drw"
    tau[q] = 10 ** rng.uniform(*QSO_LOG_TAU_REST, q.sum()) * (1 + src["z"].to_numpy()[q])
    m_abs = src["abs_mag_g"].to_numpy()[q]
    sf[q] = np.clip(0.25 + 0.045 * (m_abs + 25) + rng.normal(0, 0.04, q.sum()), *QSO_SF)

    g = np.flatnonzero(cls == "galaxy")
    llagn = g[rng.random(len(g)) < _LLAGN_FRACTION]
    var[llagn] = "drw"
    tau[llagn] = 10 ** rng.uniform(*LLAGN_LOG_TAU, len(llagn))
    sf[llagn] = rng.uniform(*LLAGN_SF, len(llagn))

    s = np.flatnonzero(cls == "star")
    kinds = np.array(list(_STAR_MIX))
    var[s] = kinds[draw_categories(star_mix_by_colour(src["g_r"].to_numpy()[s]), rng)]
    for kind, sel in ((k, s[var[s] == k]) for k in kinds):
        m = len(sel)
        if kind == "red_noise":
            tau[sel] = 10 ** rng.uniform(*RED_NOISE_LOG_TAU, m)
            sf[sel] = rng.uniform(*RED_NOISE_SF, m)
        elif kind == "pulsator":
            period[sel] = rng.uniform(0.3, 0.9, m)
            amp[sel] = rng.uniform(0.2, 1.0, m)
        elif kind == "eclipsing":
            period[sel] = 10 ** rng.uniform(-0.5, 1.0, m)
            amp[sel] = rng.uniform(0.1, 0.8, m)
        elif kind == "lpv":
            period[sel] = rng.uniform(100, 500, m)
            amp[sel] = rng.uniform(0.5, 2.5, m)
        elif kind == "cv":
            period[sel] = rng.uniform(30, 300, m)  # mean outburst recurrence
            amp[sel] = rng.uniform(2.0, 5.0, m)

    out = src.copy()
    out["var_type"] = pd.Categorical(var.astype(str), categories=VAR_TYPES)
    out["tau"], out["sf_inf"], out["period"], out["amplitude"] = tau, sf, period, amp
    out["var_seed"] = rng.integers(0, 2**62, n)
    out["extendedness"] = np.where(cls == "galaxy", rng.uniform(0.2, 1.0, n), 0.0)
    return out


def star_mix_by_colour(g_r: np.ndarray) -> np.ndarray:
    """Each star's probabilities of the variable types of ``_STAR_MIX`` (n_stars, n_types), given
    its g − r colour: a type confined to a colour range (``STAR_COLOUR_RANGE``) is as common
    inside it as it must be for its share of all these stars to stay its share in the mix, and
    the unconfined types share what is left in their mix proportions."""
    base = np.array(list(_STAR_MIX.values()))
    allowed = np.ones((len(g_r), len(base)), dtype=bool)
    for j, kind in enumerate(_STAR_MIX):
        if kind in STAR_COLOUR_RANGE:
            low, high = STAR_COLOUR_RANGE[kind]
            allowed[:, j] = (g_r >= low) & (g_r < high)
    confined = np.array([kind in STAR_COLOUR_RANGE for kind in _STAR_MIX])
    share_allowed = allowed.mean(axis=0) if len(g_r) else np.ones(len(base))
    prob = np.where(allowed & confined, base / np.maximum(share_allowed, 1e-12), 0.0)
    left = 1.0 - prob.sum(axis=1, keepdims=True)
    if np.any(left < 0):
        raise ValueError("star_mix_by_colour: a colour range holds too few stars for its share")
    free = np.where(confined, 0.0, base)
    return prob + left * free / free.sum()


def drw_processes() -> dict[str, tuple[tuple[float, float], tuple[float, float]]]:
    """The simulated sky's damped random walks by kind: (observed-frame τ range in days, SF∞
    range in mag); a QSO's τ spans its rest-frame range times 1 + z over the QSOs' redshifts."""
    (z_low, z_high), (rest_low, rest_high) = QSO_Z_RANGE, QSO_LOG_TAU_REST
    return {
        "qso": ((10**rest_low * (1 + z_low), 10**rest_high * (1 + z_high)), QSO_SF),
        "llagn": ((10 ** LLAGN_LOG_TAU[0], 10 ** LLAGN_LOG_TAU[1]), LLAGN_SF),
        "red_noise": ((10 ** RED_NOISE_LOG_TAU[0], 10 ** RED_NOISE_LOG_TAU[1]), RED_NOISE_SF),
    }


def _drw_on_grid(
    n_t: int, step: float, tau: np.ndarray, sf: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Stationary damped random walks on a regular grid: (n_src, n_t)."""
    sigma = sf / np.sqrt(2)
    a = np.exp(-step / tau)
    b = sigma * np.sqrt(1 - a * a)
    z = rng.standard_normal((n_t, len(tau)))
    x = np.empty((n_t, len(tau)))
    x[0] = sigma * z[0]
    for j in range(1, n_t):
        x[j] = a * x[j - 1] + b * z[j]
    return np.ascontiguousarray(x.T)


def _periodic(
    kind: str, t: np.ndarray, period: np.ndarray, amp: np.ndarray, phase0: np.ndarray
) -> np.ndarray:
    phase = np.mod(t[None, :] / period[:, None] + phase0[:, None], 1.0)
    a = amp[:, None]
    if kind == "pulsator":  # fast rise, slow decline (RR Lyrae-like)
        return a * (np.where(phase < 0.15, 1 - phase / 0.15, (phase - 0.15) / 0.85) - 0.5)
    if kind == "eclipsing":  # primary and shallower secondary eclipse, Gaussian in phase
        width = 0.04
        d1 = np.minimum(phase, 1 - phase)
        d2 = np.abs(phase - 0.5)
        return a * (np.exp(-0.5 * (d1 / width) ** 2) + 0.4 * np.exp(-0.5 * (d2 / width) ** 2))
    return -0.5 * a * np.sin(2 * np.pi * phase)  # long-period variable


def _cv(
    t: np.ndarray, recurrence: np.ndarray, amp: np.ndarray, seeds: np.ndarray, t_start: float
) -> np.ndarray:
    """Cataclysmic variables: outbursts (1-day rise, 4-day e-folding decline), jittered."""
    n_max = int(np.ceil((t[-1] - t_start) / np.min(recurrence))) + 2
    k = np.arange(n_max)[None, :]
    gaps = recurrence[:, None] * (0.6 + 0.8 * hashed_uniform(seeds[:, None], 1000 + k))
    onsets = (
        t_start - recurrence[:, None] * hashed_uniform(seeds[:, None], 999) + np.cumsum(gaps, 1)
    )
    dt = t[None, :, None] - onsets[:, None, :]
    rise = np.clip(dt, 0, 1)
    decline = np.exp(-np.clip(dt - 1, 0, None) / 4.0)
    profile = np.where(dt < 0, 0.0, np.where(dt < 1, rise, decline))
    return -amp[:, None] * profile.max(axis=2)


#: DRWs are drawn once per model on one fixed grid, so every file that sees a source (a duplicate
#: is seen in two fields) samples the same realisation.
DRW_GRID_STEP = 0.5  # days
DRW_T0 = 58150.0
DRW_T1 = 60400.0


class VariabilityModel:
    """Δm(t) for a set of sources; stochastic parts are drawn once, then sampled at any times."""

    def __init__(self, params: pd.DataFrame, rng: np.random.Generator):
        self.params = params
        self.kind = params["var_type"].to_numpy().astype(str)
        self.seeds = params["var_seed"].to_numpy().astype(np.uint64)
        self.stochastic = np.flatnonzero(np.isin(self.kind, ("drw", "red_noise")))
        n_grid = int(np.ceil((DRW_T1 - DRW_T0) / DRW_GRID_STEP)) + 1
        p = params.iloc[self.stochastic]
        self.grid = _drw_on_grid(
            n_grid, DRW_GRID_STEP, p["tau"].to_numpy(), p["sf_inf"].to_numpy(), rng
        )

    def _stochastic_at(self, t: np.ndarray) -> np.ndarray:
        if t[0] < DRW_T0 or t[-1] > DRW_T1:
            raise ValueError(f"times outside the simulation grid MJD {DRW_T0}–{DRW_T1}")
        pos = (t - DRW_T0) / DRW_GRID_STEP
        j = np.clip(np.floor(pos).astype(int), 0, self.grid.shape[1] - 2)
        w = pos - j
        return self.grid[:, j] * (1 - w) + self.grid[:, j + 1] * w

    def delta_mag(
        self, t: np.ndarray, band: str = "g", rows: np.ndarray | None = None
    ) -> np.ndarray:
        """Magnitude offsets (n_rows, n_t) at sorted times t for ``rows`` (default: all sources)."""
        rows = np.arange(len(self.params)) if rows is None else np.asarray(rows)
        out = np.zeros((len(rows), len(t)))
        if len(t) == 0 or len(rows) == 0:
            return out
        kind = self.kind[rows]
        grid_index = np.full(len(self.params), -1)
        grid_index[self.stochastic] = np.arange(len(self.stochastic))
        sto = np.flatnonzero(grid_index[rows] >= 0)
        if len(sto):
            out[sto] = self._stochastic_at(t)[grid_index[rows[sto]]]
        p = self.params
        for k in ("pulsator", "eclipsing", "lpv", "cv"):
            sel = np.flatnonzero(kind == k)
            if not len(sel):
                continue
            src = rows[sel]
            period, amp = p["period"].to_numpy()[src], p["amplitude"].to_numpy()[src]
            if k == "cv":
                out[sel] = _cv(t, period, amp, self.seeds[src], DRW_T0)
            else:
                out[sel] = _periodic(k, t, period, amp, hashed_uniform(self.seeds[src], 998))
        return out * BAND_AMPLITUDE[band]
