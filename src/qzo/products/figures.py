"""The paper's figures (3, 7, 8, 9) and a QZO sky map, as PNG files written atomically."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from qzo.io import StrPath
from qzo.io.atomic import atomic_path
from qzo.models.metrics import binary_scores
from qzo.models.xgb import QSO
from qzo.products.evaluate import SkyCounts, class_labels
from qzo.sky.nested import neighbours_nested


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: StrPath) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120, bbox_inches="tight")
    _pyplot().close(fig)


def figure3(test: pd.DataFrame, path: StrPath, cfg: dict) -> None:
    """QSO counts and QSO F1 of the ZTF model in bins of n_obs × magnitude, with the cut line."""
    plt = _pyplot()
    n_edges = np.array(cfg["fig3_n_obs_edges"], float)
    m_edges = np.array(cfg["fig3_mag_edges"], float)
    labels = class_labels(test)
    pred = test[["p_galaxy", "p_QSO", "p_star"]].to_numpy().argmax(1)
    ix = np.digitize(test["n_obs"], n_edges) - 1
    iy = np.digitize(test["mag_median"], m_edges) - 1
    shape = (len(m_edges) - 1, len(n_edges) - 1)
    count, f1 = np.zeros(shape), np.full(shape, np.nan)
    for y in range(shape[0]):
        for x in range(shape[1]):
            cell = (ix == x) & (iy == y)
            count[y, x] = (cell & (labels == QSO)).sum()
            if count[y, x]:
                f1[y, x] = binary_scores(labels[cell] == QSO, pred[cell] == QSO)["f1"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, data, title in ((axes[0], count, "QSOs (test split)"), (axes[1], f1, "QSO F1")):
        mesh = ax.pcolormesh(n_edges, m_edges, data, cmap="viridis")
        fig.colorbar(mesh, ax=ax)
        n = np.linspace(n_edges[0], n_edges[-1], 50)
        ax.plot(n, n / cfg["mag_cut_slope"] + cfg["mag_cut_intercept"], "r--", label="cut")
        ax.set(xlabel="n_obs (nights)", title=title, xscale="log")
        ax.set_xticks(n_edges, [f"{e:g}" for e in n_edges], fontsize=7)
        ax.minorticks_off()
        ax.set_xlim(n_edges[0], n_edges[-1])
    axes[0].set_ylabel("g median magnitude")
    axes[0].set_ylim(m_edges[-1], m_edges[0])  # bright at the top
    axes[1].legend(loc="lower right")
    _save(fig, path)


def light_curve_models_figure(table: pd.DataFrame, path: StrPath) -> None:
    """QSO F1 of each light-curve model per bin of n_obs and of magnitude (the rows of
    :func:`qzo.products.evaluate.light_curve_model_table`)."""
    plt = _pyplot()
    models = [
        c
        for c in table.columns
        if c not in ("bin", "n", "qsos") and not c.endswith(("_low", "_high"))
    ]
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
    for ax, axis in zip(axes, ("n_obs", "g"), strict=True):
        rows = table[table["bin"].str.startswith(axis + " ")]
        x = np.arange(len(rows))
        for model in models:
            ax.plot(x, rows[model], "o-", label=model)
        ticks = [
            f"{b.split(' ', 1)[1]}\n({q} QSOs)"
            for b, q in zip(rows["bin"], rows["qsos"], strict=True)
        ]
        ax.set_xticks(x, ticks, fontsize=7)
        ax.set(xlabel="n_obs (nights)" if axis == "n_obs" else "g median magnitude")
    axes[0].set(ylabel="QSO F1 (test split)", ylim=(0, 1.02))
    axes[1].legend(fontsize=8, loc="lower left")
    _save(fig, path)


def figure7(importance: pd.DataFrame, path: StrPath) -> None:
    """Feature importance (share of total gain), QSO vs the rest, every feature set."""
    plt = _pyplot()
    imp = importance.sort_values("gain_share")
    fig, ax = plt.subplots(figsize=(6, 0.22 * len(imp) + 1))
    ax.barh(imp["feature"], imp["gain_share"])
    ax.set(xlabel="share of total gain")
    _save(fig, path)


def figure8(test: pd.DataFrame, path: StrPath) -> None:
    """Photometric vs spectroscopic redshift, test-split QSOs with an AllWISE counterpart."""
    plt = _pyplot()
    rows = test[(class_labels(test) == QSO) & test["redshift"].notna()]
    fig, ax = plt.subplots(figsize=(5, 5))
    top = float(max(rows["z"].max(), rows["redshift"].max(), 1.0)) if len(rows) else 4.0
    ax.scatter(rows["z"], rows["redshift"], s=6, alpha=0.6)
    ax.plot([0, top], [0, top], "k--", lw=1)
    ax.set(
        xlabel="z_spec",
        ylabel="z_pred",
        xlim=(0, top),
        ylim=(0, top),
        title=f"{len(rows)} test QSOs",
    )
    _save(fig, path)


def figure9(counts: SkyCounts, path: StrPath) -> None:
    """Number of QSO candidates (non-duplicates) vs the minimum p_WISE_QSO, per data cut."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, curve in counts.curves.items():
        ax.plot(counts.grid, curve, label=name)
    ax.set(xlabel="minimum p_WISE_QSO", ylabel="QSO candidates", yscale="log")
    ax.legend(fontsize=7)
    _save(fig, path)


#: Above this share of the sky, or with more separate regions, the map is a full-sky view.
FULL_SKY_FRACTION = 0.05
MAX_REGIONS = 6


def footprint_regions(pixels: np.ndarray, order: int) -> list[np.ndarray]:
    """The footprint's pixels (NESTED, at ``order``) grouped into connected regions."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    pixels = np.unique(pixels)
    index = {int(p): i for i, p in enumerate(pixels)}
    neighbours = neighbours_nested(order, pixels).T
    rows, cols = [], []
    for i, row in enumerate(neighbours):
        for nb in row:
            j = index.get(int(nb))
            if j is not None:
                rows.append(i)
                cols.append(j)
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(pixels), len(pixels)))
    _, label = connected_components(graph, directed=False)
    regions = [pixels[label == k] for k in np.unique(label)]
    return sorted(regions, key=lambda r: -len(r))


def _pixel_polygons(pixels: np.ndarray, order: int, ra_centre: float) -> np.ndarray:
    """Each pixel's outline as (n, 4·step, 2) RA/Dec vertices, RA unwrapped around
    ``ra_centre`` so a region across RA = 0 stays in one piece."""
    import healpy as hp

    step = 4
    xyz = hp.boundaries(2**order, pixels, step=step, nest=True)  # (n, 3, 4·step)
    xyz = xyz.reshape(len(pixels), 3, 4 * step)
    ra, dec = hp.vec2ang(np.moveaxis(xyz, 1, 2).reshape(-1, 3), lonlat=True)
    ra = (ra - ra_centre + 180.0) % 360.0 - 180.0 + ra_centre
    return np.stack([ra, dec], axis=-1).reshape(len(pixels), 4 * step, 2)


def sky_map(counts: SkyCounts, path: StrPath, order: int) -> int:
    """QZO surface density (objects per deg²) in HEALPix pixels of ``order``, over the footprint
    of the catalog (every pixel holding an object; grey where it holds no QZO object).

    A small footprint is drawn zoomed, one panel per connected region (RA increasing to the
    left); a large one (more than ``FULL_SKY_FRACTION`` of the sky, or more than
    ``MAX_REGIONS`` regions) as a full-sky Mollweide view. One colour scale serves all panels.
    Returns the number of zoomed panels (0 for the full-sky view).
    """
    import healpy as hp
    from matplotlib.collections import PolyCollection
    from matplotlib.colors import Normalize

    plt = _pyplot()
    area = hp.nside2pixarea(2**order, degrees=True)
    footprint = np.array(sorted(counts.footprint | set(counts.sky)), dtype=np.int64)
    density = np.array([counts.sky.get(int(p), 0) / area for p in footprint])
    top = float(density.max()) if len(density) and density.max() > 0 else 1.0
    norm, cmap = Normalize(0.0, top), plt.get_cmap("magma_r")
    n_qzo = sum(counts.sky.values())
    title = f"QZO: {n_qzo:,} object{'' if n_qzo == 1 else 's'}, HEALPix order {order}"
    regions = footprint_regions(footprint, order) if len(footprint) else []
    small = len(footprint) * area < FULL_SKY_FRACTION * 41_253 and len(regions) <= MAX_REGIONS
    if not small:
        values = np.full(hp.order2npix(order), hp.UNSEEN)
        values[footprint] = density
        fig = plt.figure(figsize=(9, 5.5))
        hp.mollview(
            values,
            nest=True,
            fig=fig.number,
            title=title,
            unit="QZO objects per deg²",
            cmap="magma_r",
            min=0.0,
            max=top,
            badcolor="white",
            format="%.3g",
        )
        hp.graticule(dpar=30, dmer=60)
        _save(fig, path)
        return 0
    value_of = dict(zip(footprint.tolist(), density, strict=True))
    fig, axes = plt.subplots(
        1, len(regions), figsize=(4.2 * len(regions) + 1.2, 4.6), squeeze=False
    )
    for ax, region in zip(axes[0], regions, strict=True):
        theta_ra, dec_c = hp.pix2ang(2**order, region, nest=True, lonlat=True)
        ra_c = float(np.degrees(np.angle(np.exp(1j * np.radians(theta_ra)).mean())) % 360)
        polygons = _pixel_polygons(region, order, ra_c)
        values = np.array([value_of[int(p)] for p in region])
        colours = np.where(values[:, None] > 0, cmap(norm(values)), (0.85, 0.85, 0.85, 1.0))
        ax.add_collection(PolyCollection(list(polygons), facecolors=colours, edgecolors="none"))
        ra_lo, ra_hi = polygons[..., 0].min(), polygons[..., 0].max()
        dec_lo, dec_hi = polygons[..., 1].min(), polygons[..., 1].max()
        pad = 0.05 * max(ra_hi - ra_lo, dec_hi - dec_lo)
        ax.set_xlim(ra_hi + pad, ra_lo - pad)  # RA increases to the left, as on the sky
        ax.set_ylim(dec_lo - pad, dec_hi + pad)
        ax.set_aspect(1.0 / np.cos(np.radians(np.mean(dec_c))))
        ax.set(xlabel="RA (deg)", ylabel="Dec (deg)")
        ax.grid(alpha=0.3)
    mappable = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(mappable, ax=axes[0].tolist(), label="QZO objects per deg²", shrink=0.85)
    fig.suptitle(f"{title} (grey: footprint without QZO objects)", fontsize=10)
    _save(fig, path)
    return len(regions)
