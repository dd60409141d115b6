"""Faults and bad inputs through the workflow (real-data mode, the DR5 fixture): each stops the
run early with one line naming the rule, the file and the column, and no traceback."""

from __future__ import annotations

import json
import shutil

import pyarrow.parquet as pq
import pytest
from conftest import real_data_config
from conftest import run_workflow as snakemake

pytestmark = pytest.mark.workflow

NAME = "ztf_000202_zg_c16_q2_dr5.parquet"


def one_line_error(proc, expected: str) -> str:
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert expected in out, out[-3000:]
    assert "Traceback" not in out, out[-3000:]
    return out


def test_an_empty_sky_stops_at_the_plan_with_valid_products(tmp_path, ztf_sample):
    data = tmp_path / "dr"
    data.mkdir()
    empty = pq.read_table(ztf_sample).slice(0, 0)
    pq.write_table(empty, data / NAME)
    cfg = real_data_config(tmp_path, str(data / "*.parquet"))
    proc = snakemake(tmp_path, configfile=cfg)
    one_line_error(
        proc,
        "rule partition_plan: file results/inputs/ztf_inventory.parquet, column 'n_objects': "
        "all 1 input light-curve files are empty: there is no sky to partition",
    )
    summary = json.loads((tmp_path / "results/inputs/ztf_inventory.json").read_text())
    assert summary["n_objects"] == 0 and summary["n_empty_files"] == 1
    assert pq.read_table(tmp_path / "results/inputs/ztf_inventory.parquet").num_rows == 1
    assert not (tmp_path / "results/partition/plan.json").exists()


def test_a_file_given_twice_names_both_files_before_anything_else_runs(tmp_path, ztf_sample):
    for release in ("dr5", "dr20"):
        (tmp_path / release).mkdir()
        shutil.copy(ztf_sample, tmp_path / release / NAME.replace("dr5", release))
    cfg = real_data_config(tmp_path, str(tmp_path / "dr*" / "*.parquet"))
    proc = snakemake(tmp_path, configfile=cfg)
    out = one_line_error(proc, "rule ztf_inventory: file ")
    assert "column 'objectid': 655 objectids (e.g. 202116200000001) are also in" in out
    assert str(tmp_path / "dr20") in out and str(tmp_path / "dr5") in out
    assert not (tmp_path / "results/inputs/ztf_inventory.parquet").exists()


def test_a_catalog_feature_column_of_the_wrong_type_stops_its_partition(tmp_path, ztf_sample):
    data = tmp_path / "dr"
    data.mkdir()
    shutil.copy(ztf_sample, data / NAME)
    cfg = real_data_config(tmp_path, str(data / "*.parquet"))
    allwise = tmp_path / "allwise.parquet"
    table = pq.read_table(allwise)
    index = table.schema.get_field_index("w1mpro")
    table = table.set_column(index, "w1mpro", table.column("w1mpro").cast("string"))
    pq.write_table(table, allwise)
    proc = snakemake(tmp_path, "results/hats/catalogs/allwise", configfile=cfg)
    one_line_error(
        proc,
        f"rule partition_catalog: file {allwise}, column 'w1mpro': has type string, "
        "expected numbers",
    )
