rule xgb_train:
    """XGBoost models on out-of-fold light-curve probabilities (+ ZTF, WISE, PS1, Gaia), the
    redshift regressor, the feature-set experiments and the in-sample comparison."""
    input:
        table=f"{RESULTS}/labels/training_set.parquet",
        full=f"{RESULTS}/astromer/finetune/training_predictions.parquet",
        folds=expand(
            f"{RESULTS}/astromer/folds/fold{{fold}}/predictions.parquet",
            fold=range(config["labels"]["stacking_folds"]),
        ),
    output:
        models=directory(f"{RESULTS}/xgb/models"),
        predictions=f"{RESULTS}/xgb/training_predictions.parquet",
        experiments=f"{RESULTS}/xgb/experiments.csv",
        stacking=f"{RESULTS}/xgb/stacking.csv",
        importance=f"{RESULTS}/xgb/importance.csv",
        summary=f"{RESULTS}/xgb/summary.json",
    log:
        f"{LOGS}/xgb_train.log",
    benchmark:
        f"{BENCH}/xgb_train.tsv"
    conda:
        "../envs/cpu.yaml"
    threads: config["threads"]
    params:
        xgb=xgb_settings,
        # The training objects' feature tables, found by their shard (the training set's
        # shard column); each comes from the job that wrote the shard's light curves, which
        # the training set depends on, so they need not be listed as 10^4 more inputs.
        features_dir=f"{RESULTS}/features/dataset",
    script:
        "../workflow/scripts/xgb_train.py"


rule xgb_infer:
    """p_*, p_WISE_* and redshift for a group of shards (the astromer_infer groups)."""
    input:
        models=f"{RESULTS}/xgb/models",
        predictions=group_predictions,
    output:
        f"{RESULTS}/xgb/predictions/group{{group}}.parquet",
    log:
        f"{LOGS}/xgb_infer/group{{group}}.log",
    benchmark:
        f"{BENCH}/xgb_infer/group{{group}}.tsv"
    conda:
        "../envs/cpu.yaml"
    params:
        shards=group_shards,
        # Written by the shard jobs that wrote the group's light curves (the inputs of its
        # astromer_infer job), so they are up to date whenever the predictions are.
        features=group_features,
    script:
        "../workflow/scripts/xgb_infer.py"


rule catalog:
    """ZTF_all_QSO.csv, QZO.csv, train.csv (+ Parquet) and the HATS per-object table; fails
    unless every preprocessed object has exactly one prediction."""
    input:
        groups=all_xgb_predictions,
        summary=f"{RESULTS}/preprocess/summary.json",
        training=f"{RESULTS}/xgb/training_predictions.parquet",
        plan=PLAN,
    output:
        all_qso_csv=f"{RESULTS}/catalog/ZTF_all_QSO.csv",
        all_qso_parquet=f"{RESULTS}/catalog/ZTF_all_QSO.parquet",
        qzo_csv=f"{RESULTS}/catalog/QZO.csv",
        qzo_parquet=f"{RESULTS}/catalog/QZO.parquet",
        train_csv=f"{RESULTS}/catalog/train.csv",
        train_parquet=f"{RESULTS}/catalog/train.parquet",
        hats=directory(f"{RESULTS}/catalog/hats/qzo_objects"),
        summary=f"{RESULTS}/catalog/summary.json",
    log:
        f"{LOGS}/catalog.log",
    benchmark:
        f"{BENCH}/catalog.tsv"
    conda:
        "../envs/cpu.yaml"
    params:
        cuts=config["catalog"],
    script:
        "../workflow/scripts/catalog.py"


rule evaluate:
    """Tables 1, 3, 4, the stacking comparison, Figures 3, 7, 8, 9 and a QZO sky map; on the
    simulated sky, the catalogs' true purity and completeness."""
    input:
        training=f"{RESULTS}/xgb/training_predictions.parquet",
        experiments=f"{RESULTS}/xgb/experiments.csv",
        stacking=f"{RESULTS}/xgb/stacking.csv",
        importance=f"{RESULTS}/xgb/importance.csv",
        hats=f"{RESULTS}/catalog/hats/qzo_objects",
        truth=truth_input,
    output:
        **evaluation_tables(),
        fig3=report(
            f"{RESULTS}/evaluate/fig3.png",
            caption="../workflow/report/fig3.rst",
            category="Classification",
        ),
        fig7=report(
            f"{RESULTS}/evaluate/fig7.png",
            caption="../workflow/report/fig7.rst",
            category="Classification",
        ),
        fig8=report(
            f"{RESULTS}/evaluate/fig8.png",
            caption="../workflow/report/fig8.rst",
            category="Redshifts",
        ),
        fig9=report(
            f"{RESULTS}/evaluate/fig9.png",
            caption="../workflow/report/fig9.rst",
            category="Catalog",
        ),
        skymap=report(
            f"{RESULTS}/evaluate/skymap.png",
            caption="../workflow/report/skymap.rst",
            category="Catalog",
        ),
        summary=f"{RESULTS}/evaluate/summary.json",
    log:
        f"{LOGS}/evaluate.log",
    benchmark:
        f"{BENCH}/evaluate.tsv"
    conda:
        "../envs/cpu.yaml"
    params:
        settings={**config["evaluate"], **config["catalog"]},
    script:
        "../workflow/scripts/evaluate.py"
