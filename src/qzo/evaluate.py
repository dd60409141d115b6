"""The paper's tables and figures (METHOD.md §7) from the XGBoost test split and the catalog,
and, on the simulated sky, the catalogs' true purity and completeness.

Test-split scores use the XGBoost training table (``xgb_train``); counts over the sky stream the
HATS copy of the per-object table shard by shard, so memory does not grow with the sky.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from .catalog import any_qso, qzo_selection
from .healpix import HEALPIX_29
from .io import atomic_path, write_csv_atomic, write_json_atomic
from .labels import SDSS_CLASSES
from .metrics import binary_scores, class_scores, data_cuts, redshift_scores
from .xgb import QSO

log = logging.getLogger(__name__)

_SKY_COLUMNS = [
    "ID",
    "n_obs",
    "mag_median",
    "snr_mean",
    "is_duplicate",
    "p_galaxy",
    "p_QSO",
    "p_star",
    "p_WISE_galaxy",
    "p_WISE_QSO",
    "p_WISE_star",
    HEALPIX_29,
]


def write_table(frame: pd.DataFrame, stem: Path, caption: str) -> None:
    """``stem``.csv and ``stem``.md (a Markdown table under its caption)."""
    write_csv_atomic(frame, stem.with_suffix(".csv"))
    with atomic_path(stem.with_suffix(".md")) as tmp:
        tmp.write_text(f"{caption}\n\n{_markdown(frame)}\n")


def _markdown(frame: pd.DataFrame) -> str:
    def cell(v):
        if isinstance(v, float | np.floating):
            return "—" if np.isnan(v) else f"{v:.3f}"
        return str(v)

    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join([head, rule, *rows])


def _labels(frame: pd.DataFrame) -> np.ndarray:
    return frame["class"].str.upper().map(SDSS_CLASSES).to_numpy()


def table1(test: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    """QSO F1, kept fraction and accuracy of the ZTF model under each data cut (test split)."""
    labels, probs = _labels(test), test[["p_galaxy", "p_QSO", "p_star"]].to_numpy()
    rows = []
    for name, keep in data_cuts(test, cfg).items():
        s = class_scores(labels[keep], probs[keep], QSO)
        rows.append(
            {
                "cut": name,
                "qso_f1": s["qso_f1"],
                "fraction": keep.mean(),
                "accuracy": s["accuracy"],
                "n": s["n"],
            }
        )
    return pd.DataFrame(rows)


class SkyCounts:
    """Counts over the per-object table, accumulated shard by shard: QSO candidates per cut
    and threshold (Table 4, Fig. 9), a HEALPix density map of QZO, and truth comparisons."""

    def __init__(self, cfg: dict, truth: pd.Series | None):
        self.cfg, self.truth = cfg, truth
        self.thresholds = list(cfg["thresholds"])
        self.grid = np.linspace(0, 1, 101)[:-1]
        self.table4: dict = {}
        self.curves: dict = {}
        self.sky: dict = {}
        self.truth_counts = {k: np.zeros(3, np.int64) for k in ("QZO", "ZTF_all_QSO")}

    def add(self, frame: pd.DataFrame) -> None:
        kept = frame[~frame["is_duplicate"].to_numpy(bool)]
        p = kept["p_WISE_QSO"].to_numpy()
        for name, keep in data_cuts(kept, self.cfg).items():
            counts = [(p[keep] > t).sum() for t in self.thresholds]
            self.table4[name] = np.add(self.table4.get(name, 0), counts)
            curve = [(p[keep] > t).sum() for t in self.grid]
            self.curves[name] = np.add(self.curves.get(name, 0), curve)
        qzo = qzo_selection(frame, self.cfg)
        order = self.cfg["skymap_order"]
        pix = frame[HEALPIX_29].to_numpy()[qzo] >> (2 * (29 - order))
        for k, n in zip(*np.unique(pix, return_counts=True), strict=True):
            self.sky[int(k)] = self.sky.get(int(k), 0) + int(n)
        if self.truth is not None:
            is_qso = self.truth.reindex(frame["ID"]).to_numpy() == "qso"
            eligible = ~frame["is_duplicate"].to_numpy(bool)
            for name, chosen, universe in (
                ("QZO", qzo, eligible),
                ("ZTF_all_QSO", any_qso(frame), np.ones(len(frame), bool)),
            ):
                # [true positives, selected, true QSOs in the population]
                self.truth_counts[name] += [
                    int((chosen & is_qso).sum()),
                    int(chosen.sum()),
                    int((universe & is_qso).sum()),
                ]


def read_truth(truth_dir) -> pd.Series:
    """Simulated truth: each objectid's source class (galaxy / qso / star)."""
    sources = pd.read_parquet(Path(truth_dir) / "sources.parquet", columns=["source_id", "class"])
    objects = pd.read_parquet(
        Path(truth_dir) / "objects.parquet", columns=["objectid", "source_id"]
    )
    cls = sources.set_index("source_id")["class"].astype(str)
    return pd.Series(cls.reindex(objects["source_id"]).to_numpy(), index=objects["objectid"])


def truth_table(counts: SkyCounts, test: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    """True purity / completeness / F1 of both catalogs on the simulated sky, beside what the
    same selection scores on the labelled test split."""
    rows = []
    is_qso = _labels(test) == QSO
    selections = {"QZO": qzo_selection(test, cfg), "ZTF_all_QSO": any_qso(test)}
    for name, (tp, selected, n_true) in counts.truth_counts.items():
        purity = tp / selected if selected else np.nan
        completeness = tp / n_true if n_true else np.nan
        f1 = 2 * tp / (selected + n_true) if (selected + n_true) else np.nan
        universe = ~test["is_duplicate"].to_numpy(bool) if name == "QZO" else slice(None)
        split = binary_scores(is_qso[universe], selections[name][universe])
        rows.append(
            {
                "catalog": name,
                "rows": selected,
                "true_purity": purity,
                "true_completeness": completeness,
                "true_f1": f1,
                "test_purity": split["purity"],
                "test_completeness": split["completeness"],
                "test_f1": split["f1"],
            }
        )
    return pd.DataFrame(rows)


# --- figures -------------------------------------------------------------------------------------


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120, bbox_inches="tight")
    _pyplot().close(fig)


def figure3(test: pd.DataFrame, path, cfg: dict) -> None:
    """QSO counts and QSO F1 of the ZTF model in bins of n_obs × magnitude, with the cut line."""
    plt = _pyplot()
    n_edges = np.array(cfg["fig3_n_obs_edges"], float)
    m_edges = np.array(cfg["fig3_mag_edges"], float)
    labels = _labels(test)
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


def figure7(importance: pd.DataFrame, path) -> None:
    """Feature importance (share of total gain), QSO vs the rest, every feature set."""
    plt = _pyplot()
    imp = importance.sort_values("gain_share")
    fig, ax = plt.subplots(figsize=(6, 0.22 * len(imp) + 1))
    ax.barh(imp["feature"], imp["gain_share"])
    ax.set(xlabel="share of total gain")
    _save(fig, path)


def figure8(test: pd.DataFrame, path) -> None:
    """Photometric vs spectroscopic redshift, test-split QSOs with an AllWISE counterpart."""
    plt = _pyplot()
    rows = test[(_labels(test) == QSO) & test["redshift"].notna()]
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


def figure9(counts: SkyCounts, path) -> None:
    """Number of QSO candidates (non-duplicates) vs the minimum p_WISE_QSO, per data cut."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, curve in counts.curves.items():
        ax.plot(counts.grid, curve, label=name)
    ax.set(xlabel="minimum p_WISE_QSO", ylabel="QSO candidates", yscale="log")
    ax.legend(fontsize=7)
    _save(fig, path)


def sky_map(counts: SkyCounts, path, order: int) -> None:
    """QZO surface density (per deg²) in HEALPix pixels of the given order, Mollweide view in
    equatorial coordinates (empty pixels blank)."""
    import healpy as hp

    plt = _pyplot()
    density = np.full(hp.order2npix(order), hp.UNSEEN)
    area = hp.nside2pixarea(2**order, degrees=True)
    for pixel, n in counts.sky.items():
        density[pixel] = n / area
    fig = plt.figure(figsize=(8, 5))
    hp.mollview(
        density,
        nest=True,
        fig=fig.number,
        title="QZO density",
        unit="QZO objects per deg²",
        cmap="magma_r",
        badcolor="whitesmoke",
    )
    hp.graticule(dpar=30, dmer=60)
    _save(fig, path)


# --- the rule ------------------------------------------------------------------------------------


def run_evaluate(training_predictions, xgb_dir, hats_dir, truth_dir, cfg: dict, out_dir) -> dict:
    """Every table and figure into ``out_dir``; ``truth_dir`` (simulated sky only) or None."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    preds = pd.read_parquet(training_predictions)
    test = preds[preds["split"] == "test"].reset_index(drop=True)
    xgb_dir = Path(xgb_dir)
    truth = read_truth(truth_dir) if truth_dir else None
    counts = SkyCounts(cfg, truth)
    for path in sorted((Path(hats_dir) / "dataset").rglob("Npix=*.parquet")):
        counts.add(pq.read_table(path, columns=_SKY_COLUMNS).to_pandas())

    scores_by_cut = table1(test, cfg)
    write_table(
        scores_by_cut,
        out / "table1",
        "Table 1. ZTF model (light-curve "
        "probabilities + mag_median) on the test split, per data cut.",
    )
    experiments = pd.read_csv(xgb_dir / "experiments.csv")
    write_table(
        experiments,
        out / "table3",
        "Table 3. QSO F1 and accuracy on the test split "
        "for each feature set (missing survey features left to XGBoost).",
    )
    table4 = pd.DataFrame(
        {
            f"p_WISE_QSO>{t:g}": [int(counts.table4[c][k]) for c in counts.table4]
            for k, t in enumerate(counts.thresholds)
        },
        index=pd.Index(list(counts.table4), name="cut"),
    ).reset_index()
    write_table(
        table4,
        out / "table4",
        "Table 4. QSO candidates (non-duplicates) over the "
        "sky per data cut and minimum p_WISE_QSO.",
    )
    stacking = pd.read_csv(xgb_dir / "stacking.csv")
    write_table(
        stacking,
        out / "stacking",
        "Out-of-fold vs in-sample light-curve probabilities as XGBoost inputs: test-split scores.",
    )
    figure3(test, out / "fig3.png", cfg)
    figure7(pd.read_csv(xgb_dir / "importance.csv"), out / "fig7.png")
    figure8(test, out / "fig8.png")
    figure9(counts, out / "fig9.png")
    sky_map(counts, out / "skymap.png", cfg["skymap_order"])
    with_redshift = test[(_labels(test) == QSO) & test["redshift"].notna()]
    summary = {
        "test_rows": len(test),
        "redshift": redshift_scores(with_redshift["z"], with_redshift["redshift"]),
        "table1": scores_by_cut.to_dict("records"),
    }
    if truth is not None:
        truth_rows = truth_table(counts, test, cfg)
        write_table(
            truth_rows,
            out / "truth",
            "Simulated sky: the catalogs' true purity and "
            "completeness beside the same selection's scores on the labelled test split.",
        )
        summary["truth"] = truth_rows.to_dict("records")
    write_json_atomic(summary, out / "summary.json")
    return summary
