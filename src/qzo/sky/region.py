"""``inputs.region``: part of the sky, as the partitions that overlap it (found with ``hats``,
while the shards are planned) and as a row mask (``hats``' own point filters)."""

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
    import hats
    from hats.pixel_math import HealpixPixel

    opened = hats.read_hats(Path(catalog))
    if not isinstance(opened, hats.catalog.Catalog):
        raise ConfigError(f"config key 'inputs.region': {catalog} is not a HATS catalog")
    kind, spec = _only(region)
    if kind == "cone":
        found = opened.filter_by_cone(spec["ra"], spec["dec"], spec["radius_deg"] * 3600)
    elif kind == "box":
        found = opened.filter_by_box(tuple(spec["ra"]), tuple(spec["dec"]))
    else:
        found = opened.filter_from_pixel_list(
            [HealpixPixel(spec["order"], p) for p in spec["pixels"]]
        )
    return {(int(p.order), int(p.pixel)) for p in found.get_healpix_pixels()}


def in_region(
    ra: np.ndarray, dec: np.ndarray, hp29: np.ndarray, region: Mapping[str, Any]
) -> np.ndarray:
    """Which positions (degrees; ``hp29`` their ``_healpix_29``) lie inside ``region``."""
    from hats.catalog import TableProperties
    from hats.search.region_search import box_filter, cone_filter

    kind, spec = _only(region)
    if kind == "pixels":
        shift = 2 * (MAX_ORDER - spec["order"])
        return np.isin(hp29 >> shift, np.asarray(spec["pixels"], dtype=np.int64))
    frame = pd.DataFrame({"ra": ra, "dec": dec, "row": np.arange(len(ra))})
    columns = TableProperties.model_validate(
        {"catalog_name": "region", "catalog_type": "object", "ra_column": "ra", "dec_column": "dec"}
    )
    if kind == "cone":
        kept = cone_filter(frame, spec["ra"], spec["dec"], spec["radius_deg"] * 3600, columns)
    else:
        kept = box_filter(frame, tuple(spec["ra"]), tuple(spec["dec"]), columns)
    mask = np.zeros(len(ra), dtype=bool)
    mask[kept["row"].to_numpy()] = True
    return mask


def _only(region: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    if len(region) != 1:
        raise ConfigError(f"config key 'inputs.region': one of cone, box, pixels, not {region}")
    return next(iter(region.items()))
