"""The ZTF data-release light-curve format (IRSA bulk Parquet): columns, ids and file names."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import ArrayLike

FILTER_IDS = {"g": 1, "r": 2, "i": 3}
FILTER_NAMES = {v: k for k, v in FILTER_IDS.items()}

#: Scalar columns: name -> the type IRSA writes.
SCALAR_COLUMNS: dict[str, pa.DataType] = {
    "objectid": pa.int64(),
    "filterid": pa.uint8(),
    "fieldid": pa.int16(),
    "rcid": pa.uint8(),
    "objra": pa.float32(),
    "objdec": pa.float32(),
    "nepochs": pa.int64(),
}
#: Per-epoch list columns: name -> the element type IRSA writes (hmjd is float32 in old DRs).
LIST_COLUMNS: dict[str, pa.DataType] = {
    "hmjd": pa.float64(),
    "mag": pa.float32(),
    "magerr": pa.float32(),
    "clrcoeff": pa.float32(),
    "catflags": pa.uint16(),
}
ALL_COLUMNS = [*SCALAR_COLUMNS, *LIST_COLUMNS]

#: catflags bit 15: clouds/moon, photometry unusable.
CATFLAG_UNUSABLE = 32768


def dr_schema(hmjd_type: pa.DataType | None = None) -> pa.Schema:
    """The Arrow schema of a DR light-curve file (``hmjd`` float64 unless ``hmjd_type`` says)."""
    hmjd_type = hmjd_type or pa.float64()
    fields = [pa.field(n, t) for n, t in SCALAR_COLUMNS.items()]
    for name, t in LIST_COLUMNS.items():
        fields.append(pa.field(name, pa.list_(hmjd_type if name == "hmjd" else t)))
    return pa.schema(fields)


def encode_objectid(
    fieldid: ArrayLike, filterid: ArrayLike, rcid: ArrayLike, seq: ArrayLike
) -> np.ndarray:
    """ZTF objectid = field·10¹² + filterid·10¹¹ + ccd·10⁹ + qid·10⁸ + seq.

    rcid = 4(ccd − 1) + (qid − 1).
    """
    fieldid, filterid, rcid, seq = (
        np.asarray(a, dtype=np.int64) for a in (fieldid, filterid, rcid, seq)
    )
    if np.any((seq < 0) | (seq >= 10**8)):
        raise ValueError("objectid sequence number out of range [0, 1e8)")
    ccd, qid = rcid // 4 + 1, rcid % 4 + 1
    return fieldid * 10**12 + filterid * 10**11 + ccd * 10**9 + qid * 10**8 + seq


def decode_objectid(objectid: ArrayLike) -> dict[str, np.ndarray]:
    """Inverse of :func:`encode_objectid`: fieldid, filterid, rcid and seq."""
    oid = np.asarray(objectid, dtype=np.int64)
    ccd = (oid // 10**9) % 100
    qid = (oid // 10**8) % 10
    return {
        "fieldid": oid // 10**12,
        "filterid": (oid // 10**11) % 10,
        "rcid": 4 * (ccd - 1) + (qid - 1),
        "seq": oid % 10**8,
    }


_FILE_RE = re.compile(r"^ztf_(\d{6})_z([gri])_c(\d{2})_q([1-4])_dr(\d+)\.parquet$")


@dataclass(frozen=True)
class DRFileName:
    """The parts of an IRSA light-curve file name."""

    fieldid: int
    band: str
    rcid: int
    dr: int

    @property
    def name(self) -> str:
        ccd, qid = self.rcid // 4 + 1, self.rcid % 4 + 1
        return f"ztf_{self.fieldid:06d}_z{self.band}_c{ccd:02d}_q{qid}_dr{self.dr}.parquet"

    @property
    def relpath(self) -> str:
        """Path inside a DR tree, as IRSA lays it out: ``{field // 1000}/field{field:06d}/name``."""
        return f"{self.fieldid // 1000}/field{self.fieldid:06d}/{self.name}"

    @classmethod
    def parse(cls, name: str) -> DRFileName | None:
        """Parse a base name; None when it is not an IRSA light-curve file name."""
        m = _FILE_RE.match(name)
        if m is None:
            return None
        field, band, ccd, qid, dr = m.groups()
        return cls(int(field), band, 4 * (int(ccd) - 1) + int(qid) - 1, int(dr))
