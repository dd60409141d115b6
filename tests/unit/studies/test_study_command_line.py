"""The command line the studies share."""

import pytest

from qzo.studies import study_config, study_parser


def test_a_study_reads_the_run_config_files_merged_in_order(tmp_path):
    base, overlay = tmp_path / "base.yaml", tmp_path / "overlay.yaml"
    base.write_text("threads: 3\nxgb: {max_depth: 4, seed: 9}\n")
    overlay.write_text("xgb: {max_depth: 7}\n")
    args = study_parser("A study.\n\nMore.").parse_args(
        ["results", "--config", str(base), str(overlay), "--out", "out"]
    )
    config, settings = study_config(args)
    assert [str(path) for path in args.config] == [str(base), str(overlay)]
    assert (str(args.results), str(args.out)) == ("results", "out")
    assert (settings.max_depth, settings.seed, settings.threads) == (7, 9, 3)
    assert config["xgb"]["max_depth"] == 7


def test_a_study_needs_a_config_file():
    with pytest.raises(SystemExit):
        study_parser("A study.").parse_args(["results", "--out", "out"])
