"""``inputs.region``: part of the sky, as the partitions that overlap it (``lsdb``'s cone, box
and pixel searches, while the shards are planned) and as a row mask (the same searches' point
filters)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from qzo.errors import ConfigError
from qzo.io import StrPath
from qzo.sky.healpix import MAX_ORDER


def region_partitions(catalog: StrPath, region: Mapping[str, Any]) -> set[tuple[int, int]]:
    """(order, pixel) of the catalog's partitions that overlap ``region``."""
    import lsdb

    opened = lsdb.open_catalog(Path(catalog))
    kind, spec = _only(region)
    if kind == "cone":
        found = opened.cone_search(spec["ra"], spec["dec"], spec["radius_deg"] * 3600)
    elif kind == "box":
        found = opened.box_search(ra=tuple(spec["ra"]), dec=tuple(spec["dec"]))
    else:
        found = opened.pixel_search([(spec["order"], p) for p in spec["pixels"]])
    return {(int(p.order), int(p.pixel)) for p in found.get_healpix_pixels()}


def in_region(
    ra: np.ndarray, dec: np.ndarray, hp29: np.ndarray, region: Mapping[str, Any]
) -> np.ndarray:
    """Which positions (degrees; ``hp29`` their ``_healpix_29``) lie inside ``region``."""
    from hats.catalog import TableProperties
    from lsdb.core.search.region_search import BoxSearch, ConeSearch

    kind, spec = _only(region)
    if kind == "pixels":  # a pixel holds exactly the order-29 indices below it
        shift = 2 * (MAX_ORDER - spec["order"])
        return np.isin(hp29 >> shift, np.asarray(spec["pixels"], dtype=np.int64))
    search = (
        ConeSearch(spec["ra"], spec["dec"], spec["radius_deg"] * 3600)
        if kind == "cone"
        else BoxSearch(ra=tuple(spec["ra"]), dec=tuple(spec["dec"]))
    )
    columns = TableProperties.model_validate(
        {"catalog_name": "region", "catalog_type": "object", "ra_column": "ra", "dec_column": "dec"}
    )
    frame = pd.DataFrame({"ra": ra, "dec": dec, "row": np.arange(len(ra))})
    kept = search.search_points(frame, columns)
    mask = np.zeros(len(ra), dtype=bool)
    mask[kept["row"].to_numpy()] = True
    return mask


def _only(region: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    if len(region) != 1:
        raise ConfigError(f"config key 'inputs.region': one of cone, box, pixels, not {region}")
    return next(iter(region.items()))
