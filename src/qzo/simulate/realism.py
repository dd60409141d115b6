"""The simulated sky against real ZTF: the epoch statistics the classifiers depend on, measured
the same way on any set of IRSA DR files, and a figure comparing two sets.

``python -m qzo.simulate.realism REAL.parquet --simulated DIR --figure OUT.png`` prints both
sets' statistics as JSON and draws the noise curve of each (docs/simulation.md).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from qzo.io import StrPath
from qzo.io.ztf_files import read_lightcurves
from qzo.io.ztf_format import CATFLAG_UNUSABLE

#: Centres of the magnitude bins (± 0.25 mag) of the noise curve.
NOISE_BINS = (15.0, 16.0, 17.0, 18.0, 19.0)


def epoch_statistics(paths: Sequence[StrPath]) -> dict:
    """Per-epoch statistics of DR files: median ``magerr`` of clean epochs (``catflags`` 0) in
    each :data:`NOISE_BINS` bin, the fractions of flagged and unusable epochs, epochs per
    observed night, the median gap between observed nights and nights per light curve."""
    lcs = [read_lightcurves(p) for p in paths]
    mag = np.concatenate([lc.mag for lc in lcs]).astype(float)
    err = np.concatenate([lc.magerr for lc in lcs]).astype(float)
    flags = np.concatenate([lc.catflags for lc in lcs]).astype(np.int64)
    night = np.floor(np.concatenate([lc.hmjd for lc in lcs])).astype(np.int64)
    counts = np.concatenate([np.diff(lc.offsets) for lc in lcs])
    owner = np.repeat(np.arange(len(counts)), counts)
    clean = flags == 0
    noise = {}
    for centre in NOISE_BINS:
        sel = clean & (np.abs(mag - centre) < 0.25)
        noise[f"{centre:g}"] = float(np.median(err[sel])) if sel.any() else None
    pairs = np.unique(owner * (night.max() + 1 - night.min()) + (night - night.min()))
    lc_of_pair = pairs // (night.max() + 1 - night.min())
    gaps = np.diff(pairs)[np.diff(lc_of_pair) == 0]
    return {
        "light_curves": int(owner.max() + 1) if len(owner) else 0,
        "epochs": len(mag),
        "median_magerr_clean": noise,
        "flagged_fraction": float(np.mean(~clean)),
        "unusable_fraction": float(np.mean(flags >= CATFLAG_UNUSABLE)),
        "epochs_per_night": float(len(mag) / max(len(pairs), 1)),
        "median_night_gap_days": float(np.median(gaps)) if len(gaps) else None,
        "median_nights_per_light_curve": float(np.median(np.bincount(lc_of_pair))),
    }


def plot_noise_curves(curves: dict[str, dict], figure: StrPath) -> None:
    """Median clean-epoch ``magerr`` against magnitude for each named set of statistics."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.6))
    for name, stats in curves.items():
        noise = stats["median_magerr_clean"]
        x = [float(k) for k, v in noise.items() if v is not None]
        y = [v for v in noise.values() if v is not None]
        ax.plot(x, y, "o-", label=f"{name} (flagged {stats['flagged_fraction']:.1%})")
    ax.set(yscale="log", xlabel="g (mag)", ylabel="median magerr of clean epochs (mag)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    Path(figure).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(figure, dpi=120)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("real", nargs="+", help="real IRSA DR files")
    parser.add_argument("--simulated", required=True, help="a simulated sky's ztf/ folder")
    parser.add_argument("--figure", help="PNG of the noise curves")
    args = parser.parse_args(argv)
    curves = {
        "real": epoch_statistics(args.real),
        "simulated": epoch_statistics(sorted(Path(args.simulated).rglob("*.parquet"))),
    }
    print(json.dumps(curves, indent=2))
    if args.figure:
        plot_noise_curves(curves, args.figure)


if __name__ == "__main__":
    main()
