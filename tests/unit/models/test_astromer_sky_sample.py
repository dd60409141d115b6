"""Stage 1's sky sample: read shard by shard, a seeded hash of objectid decides membership and
the val share, so the sample does not depend on how the sky is sharded."""

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from qzo.config import default_config
from qzo.config.settings import AstromerSettings
from qzo.models.astromer.fitting import sky_sample


def _settings(seed=None, **changes):
    section = {**default_config()["astromer"], **changes}
    if seed is not None:
        section["pretrain"] = {**section["pretrain"], "seed": seed}
    return AstromerSettings.from_config(section)


def _write_shards(directory, ids, n_shards):
    rng = np.random.default_rng(0)
    paths = []
    for k, part in enumerate(np.array_split(ids, n_shards)):
        n = rng.integers(3, 9, len(part))
        offsets = np.concatenate([[0], np.cumsum(n)]).astype(np.int32)
        table = pa.table(
            {
                "objectid": pa.array(part, pa.int64()),
                "mjd": pa.ListArray.from_arrays(
                    pa.array(offsets), pa.array(np.arange(n.sum()) * 1.0)
                ),
                "mag": pa.ListArray.from_arrays(pa.array(offsets), pa.array(np.ones(n.sum()))),
                "n_obs": pa.array(n.astype(np.int32)),
            }
        )
        paths.append(directory / f"shard{n_shards}_{k}.parquet")
        pq.write_table(table, paths[-1])
    return paths


def test_sample_size_val_share_and_independence_of_sharding(tmp_path):
    ids = np.arange(10**11, 10**11 + 20000, dtype=np.int64)
    settings = _settings(pretrain_sample_size=5000, pretrain_val_fraction=0.1)
    four, info = sky_sample(_write_shards(tmp_path, ids, 4), len(ids), settings)
    seven, _ = sky_sample(_write_shards(tmp_path, ids[::-1], 7), len(ids), settings)
    assert 4700 < four.num_rows < 5300
    assert info["sky_light_curves"] == 20000
    assert info["sample"]["val"] == pytest.approx(0.1 * four.num_rows, rel=0.2)
    by_id = dict(zip(four["objectid"].to_pylist(), four["split"].to_pylist(), strict=True))
    assert by_id == dict(
        zip(seven["objectid"].to_pylist(), seven["split"].to_pylist(), strict=True)
    )
    # Light curves come through whole.
    assert four.column("mjd").combine_chunks().value_lengths().to_numpy().min() >= 3
    other, _ = sky_sample(
        _write_shards(tmp_path, ids, 4),
        len(ids),
        _settings(seed=1, pretrain_sample_size=5000),
    )
    assert set(other["objectid"].to_pylist()) != set(by_id)


def test_a_small_sky_is_kept_whole_and_too_small_a_sample_fails(tmp_path):
    ids = np.arange(1, 301, dtype=np.int64)
    whole, _ = sky_sample(_write_shards(tmp_path, ids, 2), len(ids), _settings())
    assert sorted(whole["objectid"].to_pylist()) == list(ids)
    with pytest.raises(ValueError, match="pretrain_sample_size"):
        sky_sample(_write_shards(tmp_path, ids, 2), len(ids), _settings(pretrain_sample_size=3))
