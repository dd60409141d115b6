"""External catalogs read where they lie (HATS with a margin cache, HATS without, HEALPix hive
``healpix_kK=N/``): each shard sees every catalog row near its objects, once."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord

from qzo.config import PartitionSettings
from qzo.errors import InputDataError
from qzo.io.partitioned_catalogs import PartitionedCatalog, is_partitioned_catalog
from qzo.sky.catalog_shards import catalog_summary, partitioned_catalog_rows
from qzo.sky.hats_convert import table_to_hats
from qzo.sky.healpix import healpix_29, histogram, plan_shards

MARGIN = 30.0
RADIUS = 20.0  # the nearest counterpart within this must be found from every shard


def settings(max_rows):
    return PartitionSettings(
        max_rows_per_shard=max_rows,
        highest_order=9,
        lowest_order=0,
        margin_arcsec=MARGIN,
        files_per_batch=8,
    )


@pytest.fixture(scope="module")
def sky():
    """A dense cap of catalog rows (with ids) and ZTF-like query positions, and a shard plan
    of the queries finer than the catalog's partitions in places, coarser in others."""
    rng = np.random.default_rng(5)
    n = 6000
    ra = 150 + rng.uniform(-0.6, 0.6, n)
    dec = 20 + rng.uniform(-0.6, 0.6, n)
    table = pa.table({"ra": ra, "dec": dec, "w1": rng.normal(15, 1, n), "row": np.arange(n)})
    q_ra, q_dec = 150 + rng.uniform(-0.5, 0.5, 3000), 20 + rng.uniform(-0.5, 0.5, 3000)
    shards = plan_shards(histogram(healpix_29(q_ra, q_dec), 9), 400)
    plan = {
        "shards": shards.names,
        "settings": {"margin_arcsec": MARGIN},
    }
    return table, (q_ra, q_dec), shards, plan


def nearest_within(cat_ra, cat_dec, rows, q_ra, q_dec):
    """The catalog row nearest each query within RADIUS (−1 for none), brute force."""
    if len(cat_ra) == 0:
        return np.full(len(q_ra), -1)
    q = SkyCoord(q_ra, q_dec, unit="deg")
    idx, sep, _ = q.match_to_catalog_sky(SkyCoord(cat_ra, cat_dec, unit="deg"))
    return np.where(sep < RADIUS * u.arcsec, np.asarray(rows)[idx], -1)


def write_hive(table, root, order):
    pix = healpix_29(table.column("ra").to_numpy(), table.column("dec").to_numpy()) >> (
        2 * (29 - order)
    )
    for p in np.unique(pix):
        folder = root / f"healpix_k{order}={p}"
        folder.mkdir(parents=True)
        pq.write_table(table.filter(pa.array(pix == p)), folder / "part-0.parquet")


@pytest.mark.parametrize("layout", ["hats", "hats_no_margin", "hive"])
def test_every_shard_finds_the_nearest_counterpart_as_brute_force_does(sky, tmp_path, layout):
    table, (q_ra, q_dec), shards, plan = sky
    root = tmp_path / "cat"
    if layout == "hive":
        write_hive(table, root, 6)
    else:
        table_to_hats(table, root, "wise", "ra", "dec", settings(700), 60.0)
        if layout == "hats_no_margin":
            root = root / "wise"  # the bare catalog: margins from the bordering partitions
    assert is_partitioned_catalog(str(root))
    assert catalog_summary(root)["format"] == ("healpix hive" if layout == "hive" else "hats")
    expected = nearest_within(
        table.column("ra").to_numpy(),
        table.column("dec").to_numpy(),
        table.column("row"),
        q_ra,
        q_dec,
    )
    owner = shards.lookup(healpix_29(q_ra, q_dec))
    found = np.full(len(q_ra), -2)
    for i, shard in enumerate(plan["shards"]):
        rows, counts = partitioned_catalog_rows(
            root, "ra", "dec", {"w1": "number", "row": "number"}, plan, shard
        )
        assert not rows["row"].duplicated().any()
        mine = owner == i
        found[mine] = nearest_within(
            rows["ra"].to_numpy(), rows["dec"].to_numpy(), rows["row"], q_ra[mine], q_dec[mine]
        )
        assert counts["rows_kept"] == len(rows) <= counts["rows_read"]
    assert np.array_equal(found, expected)
    assert (expected >= 0).sum() > 1000


def test_summary_and_bad_partitions(sky, tmp_path):
    table, _, _, plan = sky
    table_to_hats(table, tmp_path / "cat", "wise", "ra", "dec", settings(700), 60.0)
    summary = catalog_summary(tmp_path / "cat")
    assert summary["rows_in"] == table.num_rows and summary["margin_arcsec"] == 60.0
    assert summary["partitions"] == len(PartitionedCatalog.open(tmp_path / "cat").partitions)
    order, npix = (int(v.split("=")[1]) for v in plan["shards"][0].split("/")[::2])
    inside = PartitionedCatalog.open(tmp_path / "cat").overlapping(order, npix)
    part = inside[0][2] / "part0.snappy.parquet"
    bad = pd.DataFrame({"ra": [150.0], "dec": [np.nan], "w1": [1.0], "row": [1]})
    pq.write_table(pa.Table.from_pandas(bad, preserve_index=False), part)
    with pytest.raises(InputDataError, match="NaN positions") as err:
        for shard in plan["shards"]:
            partitioned_catalog_rows(tmp_path / "cat", "ra", "dec", {"w1": "number"}, plan, shard)
    assert err.value.path == str(part) and err.value.column == "dec"
    assert not is_partitioned_catalog(str(part)) and not is_partitioned_catalog(["x"])
