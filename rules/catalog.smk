rule catalog:
    """ZTF_all_QSO.csv, QZO.csv, QZO_calibrated.csv, train.csv (+ Parquet) and the HATS per-object table; fails
    unless every preprocessed object has exactly one prediction."""
    input:
        groups=per_group(results("xgb/predictions/group{group}.parquet")),
        preprocess_summary=results("preprocess/summary.json"),
        training_predictions=results("xgb/training_predictions.parquet"),
        calibration=results("calibrate/calibration.json"),
        plan=PLAN,
        # Units and descriptions of the published columns (Parquet field metadata).
        columns=resource("catalog_columns.yaml"),
    output:
        all_qso_csv=results("catalog/ZTF_all_QSO.csv"),
        all_qso_parquet=results("catalog/ZTF_all_QSO.parquet"),
        qzo_csv=results("catalog/QZO.csv"),
        qzo_parquet=results("catalog/QZO.parquet"),
        qzo_calibrated_csv=results("catalog/QZO_calibrated.csv"),
        qzo_calibrated_parquet=results("catalog/QZO_calibrated.parquet"),
        train_csv=results("catalog/train.csv"),
        train_parquet=results("catalog/train.parquet"),
        hats=directory(results("catalog/hats/qzo_objects")),
        summary=results("catalog/summary.json"),
    log:
        log_file("catalog.log"),
    benchmark:
        bench_file("catalog.tsv")
    conda:
        "../envs/cpu.yaml"
    params:
        cuts=config["catalog"],
    script:
        "../workflow/scripts/catalog.py"
