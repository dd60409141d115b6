rule xgb_train:
    """XGBoost models on out-of-fold light-curve probabilities (+ ZTF, WISE, PS1, Gaia), the
    redshift regressor, the feature-set experiments and the in-sample comparison."""
    input:
        training_set=results("labels/training_set.parquet"),
        full_predictions=results("astromer/finetune/training_predictions.parquet"),
        fold_predictions=expand(
            results("astromer/folds/fold{fold}/predictions.parquet"),
            fold=range(config["labels"]["stacking_folds"]),
        ),
        support=results("xgb/label_support.npz"),
    output:
        models=expand(results("xgb/models/{model}.json"), model=XGB_MODELS),
        predictions=results("xgb/training_predictions.parquet"),
        experiments=results("xgb/experiments.csv"),
        light_curve_models=results("xgb/light_curve_models.parquet"),
        cross_fitted_models=results("xgb/cross_fitted_models.parquet"),
        stacking=results("xgb/stacking.csv"),
        importance=results("xgb/importance.csv"),
        summary=results("xgb/summary.json"),
    log:
        log_file("xgb_train.log"),
    benchmark:
        bench_file("xgb_train.tsv")
    conda:
        "../envs/cpu.yaml"
    threads: config["threads"]
    params:
        settings=config["xgb"],
        threads=config["threads"],
        model_names=XGB_MODELS,
        # Where each shard's feature table is ({shard}: the training set's shard column); the
        # stage reads those of the shards the training objects lie on. Each comes from the
        # shard job that wrote the shard's preprocessed objects, which the training set depends
        # on: listing 10^4 more inputs would only slow the DAG down.
        features=get_features_template,
    script:
        "../workflow/scripts/xgb_train.py"


rule label_support:
    """How far each object lies from the labelled set, without its class: the train split's
    objects in magnitude, light-curve statistics and WISE colours, the unit from the val
    split's (docs/method.md, "Objects unlike the labels")."""
    input:
        training_set=results("labels/training_set.parquet"),
    output:
        support=results("xgb/label_support.npz"),
    log:
        log_file("label_support.log"),
    benchmark:
        bench_file("label_support.tsv")
    conda:
        "../envs/cpu.yaml"
    params:
        settings=config["catalog"]["label_support"],
        # The training objects' feature tables, as for xgb_train.
        features=get_features_template,
    script:
        "../workflow/scripts/label_support.py"


rule xgb_infer:
    """p_*, p_WISE_* and redshift for a group of shards (the astromer_infer groups)."""
    input:
        models=expand(results("xgb/models/{model}.json"), model=XGB_MODELS),
        support=results("xgb/label_support.npz"),
        light_curve=get_xgb_infer_light_curve,
        # The labelled objects' out-of-fold light-curve probabilities (train.csv's inputs).
        training_predictions=results("xgb/training_predictions.parquet"),
    output:
        predictions=results("xgb/predictions/group{group}.parquet"),
    log:
        log_file("xgb_infer/group{group}.log"),
    benchmark:
        bench_file("xgb_infer/group{group}.tsv")
    conda:
        "../envs/cpu.yaml"
    params:
        model_names=XGB_MODELS,
        shards=get_group_shards,
        # Written by the shard jobs that wrote the group's preprocessed objects (the inputs of
        # its astromer_infer job), so they are up to date whenever the predictions are.
        features=per_group_shard(results("features/dataset/{shard}.parquet")),
    script:
        "../workflow/scripts/xgb_infer.py"
