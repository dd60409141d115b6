"""``inputs.region``: the partitions a region overlaps and the rows inside it, against brute
force on the real DR5 fixture (HATS) and on constructed positions."""

import numpy as np
import pyarrow.parquet as pq
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from conftest import DATA, default_config

from qzo.config import load_config
from qzo.errors import ConfigError
from qzo.io.hats_input import hats_input_plan
from qzo.sky.hats_shards import read_hats_shard
from qzo.sky.healpix import healpix_29
from qzo.sky.region import in_region, region_partitions

FIXTURE = DATA / "ztf_dr5_field202_rc61_hats"


@pytest.fixture(scope="module")
def sample():
    table = pq.read_table(DATA / "ztf_dr5_field202_rc61_sample.parquet")
    ra = table.column("objra").to_numpy().astype(float)
    dec = table.column("objdec").to_numpy().astype(float)
    return table.column("objectid").to_numpy(), ra, dec


def test_cone_box_and_pixels_select_what_brute_force_selects():
    rng = np.random.default_rng(1)
    ra, dec = rng.uniform(0, 360, 20_000), np.degrees(np.arcsin(rng.uniform(-1, 1, 20_000)))
    hp29 = healpix_29(ra, dec)
    cone = {"cone": {"ra": 3.0, "dec": 10.0, "radius_deg": 15.0}}
    sep = SkyCoord(ra, dec, unit="deg").separation(SkyCoord(3.0, 10.0, unit="deg")).deg
    assert np.array_equal(in_region(ra, dec, hp29, cone), sep <= 15.0)
    box = {"box": {"ra": [350.0, 20.0], "dec": [-5.0, 30.0]}}  # wraps through ra = 0
    expected = ((ra >= 350) | (ra <= 20)) & (dec >= -5) & (dec <= 30)
    assert np.array_equal(in_region(ra, dec, hp29, box), expected)
    pixels = {"pixels": {"order": 2, "pixels": [5, 17, 100]}}
    assert np.array_equal(in_region(ra, dec, hp29, pixels), np.isin(hp29 >> 54, [5, 17, 100]))
    assert 0 < in_region(ra, dec, hp29, pixels).sum() < len(ra)


def test_a_cone_plans_only_the_partitions_it_overlaps_and_keeps_its_objects(tmp_path, sample):
    ids, ra, dec = sample
    centre = {"ra": float(np.median(ra)), "dec": float(np.median(dec)), "radius_deg": 0.12}
    region = {"cone": centre}
    overlap = region_partitions(FIXTURE / "ztf_lc", region)
    settings = {**default_config()["partition"], "max_rows_per_shard": 10**6}
    plan = hats_input_plan(FIXTURE, settings, region)
    assert {tuple(s["partition_pixel"]) for s in plan["sources"]} == overlap
    assert len(overlap) < len(plan["partitions"])  # the region leaves a partition out
    kept, outside = [], 0
    for i, shard in enumerate(plan["shards"]):
        main, margin_file = tmp_path / f"{i}.parquet", tmp_path / "m.parquet"
        counts = read_hats_shard(plan, shard, "g", main, margin_file)
        kept.append(pq.read_table(tmp_path / f"{i}.parquet").column("objectid").to_numpy())
        outside += counts["rows_outside_region"]
        margin = pq.read_table(tmp_path / "m.parquet").column("objectid").to_numpy()
        assert not np.intersect1d(margin, kept[-1]).size
    sep = SkyCoord(ra, dec, unit="deg").separation(
        SkyCoord(centre["ra"], centre["dec"], unit="deg")
    )
    inside = sep <= centre["radius_deg"] * u.deg
    assert 0 < inside.sum() < len(ids)
    assert np.array_equal(np.sort(np.concatenate(kept)), np.sort(ids[inside]))
    assert plan["n_rows"] - outside == inside.sum()


def test_a_region_needs_a_hats_input():
    with pytest.raises(ConfigError, match=r"inputs\.region': needs a HATS input"):
        load_config(overrides={"inputs": {"region": {"pixels": {"order": 3, "pixels": [1]}}}})
