"""The partition's map/reduce on a simulated sky: plan → split → reduce keeps every row exactly
once, in the shard that holds its position, and every margin holds the neighbours it must."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pyarrow.parquet as pq
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord

from qzo.config import PartitionSettings, default_config
from qzo.errors import InputDataError
from qzo.io.ztf_files import read_lightcurve_file
from qzo.sky.healpix import HEALPIX_29, healpix_29
from qzo.sky.partition import plan_partition, reduce_planned_shard, shards_of_plan
from qzo.stages.partition import partition_split

MARGIN = 60.0  # wide enough for many cross-border pairs on this sparse sky


@pytest.fixture(scope="module")
def partitioned(small_sky, tmp_path_factory):
    """The small sky partitioned as the workflow does, with several batches."""
    sky, manifest = small_sky
    files = [str(sky / name) for name in manifest["ztf_files"]]
    settings = PartitionSettings.from_config(
        {
            **default_config()["partition"],
            "max_rows_per_shard": 300,
            "files_per_batch": 3,
            "margin_arcsec": MARGIN,
        }
    )
    shards, plan = plan_partition(files, settings, workers=2)
    out = tmp_path_factory.mktemp("partition")
    (out / "plan.json").write_text(json.dumps(plan))
    batch_dirs = []
    for b in range(len(plan["batches"])):
        counts = partition_split(plan=out / "plan.json", batch=b, pieces=out / f"batch{b}")
        assert counts["rows_outside_shards"] == 0
        batch_dirs.append(out / f"batch{b}")
    tables = {}
    for shard in plan["shards"]:
        main = out / "shards" / f"{shard}.parquet"
        margin = out / "margins" / f"{shard}.parquet"
        reduce_planned_shard(plan, shard, batch_dirs, main, margin)
        tables[shard] = (pq.read_table(main), pq.read_table(margin))
    inputs = [read_lightcurve_file(f, columns=["objectid", "objra", "objdec"]) for f in files]
    return plan, shards, tables, batch_dirs, inputs


def test_rows_in_equal_rows_out_and_every_row_is_in_one_shard(partitioned):
    plan, shards, tables, _, inputs = partitioned
    ids_in = np.concatenate([t.column("objectid").to_numpy() for t in inputs])
    ids_out = np.concatenate([m.column("objectid").to_numpy() for m, _ in tables.values()])
    assert len(ids_out) == len(ids_in) == plan["n_rows"] > 4000
    assert np.array_equal(np.sort(ids_out), np.sort(ids_in))
    assert len(plan["shards"]) > 10 and len(plan["batches"]) > 1
    for shard, (main, _) in tables.items():
        hp29 = main.column(HEALPIX_29).to_numpy()
        own = shards.lookup(hp29)
        assert (own == plan["shards"].index(shard)).all(), shard
        assert np.array_equal(hp29, healpix_29(main["objra"], main["objdec"]))
        assert main.num_rows == plan["shard_rows"][plan["shards"].index(shard)]
        assert list(np.argsort(hp29, kind="stable")) == list(range(len(hp29)))  # sorted


def test_light_curves_come_through_unchanged(partitioned):
    _, _, tables, _, inputs = partitioned
    main, _ = next(iter(tables.values()))
    source = {}
    for table in inputs:
        for oid, ra in zip(table["objectid"].to_numpy(), table["objra"].to_numpy(), strict=True):
            source[oid] = ra
    assert all(
        source[oid] == ra
        for oid, ra in zip(main["objectid"].to_numpy(), main["objra"].to_numpy(), strict=True)
    )
    assert main.schema.field("hmjd").type.value_type.bit_width == 64


def test_each_margin_holds_every_neighbour_within_the_margin(partitioned):
    plan, shards, tables, _, _ = partitioned
    rows = [m for m, _ in tables.values()]
    ra = np.concatenate([t["objra"].to_numpy() for t in rows])
    dec = np.concatenate([t["objdec"].to_numpy() for t in rows])
    ids = np.concatenate([t["objectid"].to_numpy() for t in rows])
    own = shards.lookup(healpix_29(ra, dec))
    coords = SkyCoord(ra * u.deg, dec * u.deg)
    i, j, _, _ = coords.search_around_sky(coords, MARGIN * u.arcsec)
    across = own[i] != own[j]  # j must be in the margin of i's shard
    assert across.sum() > 50
    for shard_index, shard in enumerate(plan["shards"]):
        margin_ids = set(tables[shard][1]["objectid"].to_numpy())
        needed = set(ids[j[across & (own[i] == shard_index)]])
        assert needed <= margin_ids, shard
        assert not margin_ids & set(tables[shard][0]["objectid"].to_numpy())
    assert shards_of_plan(plan).names == plan["shards"]


def test_a_batch_is_renamed_into_place_complete(partitioned, tmp_path):
    plan, _, _, _, _ = partitioned
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(json.dumps(plan))
    batch = tmp_path / "batch0"
    # What a job killed mid-write leaves: a partial folder, never the batch itself.
    (tmp_path / ".batch0.partial" / "main").mkdir(parents=True)
    (tmp_path / ".batch0.partial" / "main" / "stale.arrow").write_text("half")
    counts = partition_split(plan=plan_path, batch=0, pieces=batch)
    assert not (tmp_path / ".batch0.partial").exists()
    assert json.loads((batch / "counts.json").read_text()) == counts
    assert sorted(p.name for p in batch.iterdir()) == ["counts.json", "main", "margin"]
    assert not (batch / "main" / "stale.arrow").exists()


@pytest.mark.parametrize("kind", ["main", "margin"])
def test_a_shard_missing_a_piece_names_its_batches(partitioned, tmp_path, kind):
    plan, _, _, batch_dirs, _ = partitioned
    counts = json.loads((batch_dirs[0] / "counts.json").read_text())["pieces"][kind]
    index = int(max(counts, key=counts.get))  # a shard with rows of this kind in batch 0
    needed = [b for b, shards in enumerate(plan["batch_shards"]) if index in shards]
    copies = []
    for b in needed:
        shutil.copytree(batch_dirs[b], tmp_path / f"batch{b}")
        copies.append(tmp_path / f"batch{b}")
    next((tmp_path / "batch0" / kind).glob(f"shard{index:07d}_*")).unlink()
    shard = plan["shards"][index]
    message = "plan says" if kind == "main" else "margin rows in the pieces"
    with pytest.raises(AssertionError, match=message):
        reduce_planned_shard(plan, shard, copies, tmp_path / "s.parquet", tmp_path / "m.parquet")
    (tmp_path / "batch0" / "counts.json").unlink()
    with pytest.raises(InputDataError, match="no valid batch record"):
        reduce_planned_shard(plan, shard, copies, tmp_path / "s.parquet", tmp_path / "m.parquet")
