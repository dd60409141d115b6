rule astromer_pretrain:
    """Stage 1: masked-reconstruction (re)training of the encoder (GPU job), on a sample of
    every preprocessed light curve of the sky (astromer.pretrain_data: sky) or on the training
    set."""
    input:
        unpack(get_astromer_pretrain_input),
    output:
        weights=results("astromer/pretrain/encoder.weights.h5"),
        summary=results("astromer/pretrain/summary.json"),
        metrics=results("astromer/pretrain/metrics.csv"),
    log:
        log_file("astromer_pretrain.log"),
    benchmark:
        bench_file("astromer_pretrain.tsv")
    conda:
        "../envs/gpu.yaml"
    # TensorFlow on the job's threads, never on every core the node has: the thread count sets
    # the order of the float32 sums, so the encoder is a function of the config alone.
    threads: config["threads"]
    resources:
        gpu=1,
    params:
        settings=PRETRAINING_SETTINGS,
        # Training state: a checkpoint after every epoch, so a killed job resumes.
        checkpoints=results("astromer/pretrain/checkpoints"),
        # Published initial weights (astromer.init_weights), unpacked once.
        weights_cache=results("astromer/pretrain/cache"),
    script:
        "../workflow/scripts/astromer_pretrain.py"


rule astromer_finetune:
    """Stage 2: the light-curve classifier (GPU job)."""
    input:
        training_set=results("labels/training_set.parquet"),
        encoder_weights=results("astromer/pretrain/encoder.weights.h5"),
        encoder_summary=results("astromer/pretrain/summary.json"),
    output:
        model_config=results("astromer/finetune/model/config.json"),
        model_weights=results("astromer/finetune/model/classifier.weights.h5"),
        predictions=results("astromer/finetune/training_predictions.parquet"),
        metrics=results("astromer/finetune/metrics.csv"),
        summary=results("astromer/finetune/summary.json"),
    log:
        log_file("astromer_finetune.log"),
    benchmark:
        bench_file("astromer_finetune.tsv")
    # Inference, the export and the catalogs wait on this job, the XGBoost models on all six:
    # it starts first, beside the folds, rather than alone after them.
    priority: 1
    conda:
        "../envs/gpu.yaml"
    # TensorFlow takes the job's threads; six fine-tuning jobs (this and the folds) run side by
    # side, one thread each (--set-threads gives them more).
    threads: 1
    resources:
        gpu=1,
    params:
        settings=TRAINING_SETTINGS,
        # Training state: a checkpoint after every epoch, so a killed job resumes.
        checkpoints=results("astromer/finetune/checkpoints"),
    script:
        "../workflow/scripts/astromer_finetune.py"


rule astromer_finetune_fold:
    """Cross-fitting: the classifier without one fold of the train split, applied to that
    fold, so XGBoost trains on out-of-sample light-curve probabilities (GPU job)."""
    input:
        training_set=results("labels/training_set.parquet"),
        encoder_weights=results("astromer/pretrain/encoder.weights.h5"),
        encoder_summary=results("astromer/pretrain/summary.json"),
    output:
        predictions=results("astromer/folds/fold{fold}/predictions.parquet"),
        metrics=results("astromer/folds/fold{fold}/metrics.csv"),
        summary=results("astromer/folds/fold{fold}/summary.json"),
    log:
        log_file("astromer_finetune_fold/fold{fold}.log"),
    benchmark:
        bench_file("astromer_finetune_fold/fold{fold}.tsv")
    conda:
        "../envs/gpu.yaml"
    threads: 1
    resources:
        gpu=1,
    params:
        settings=TRAINING_SETTINGS,
        # Training state: a checkpoint after every epoch, so a killed job resumes.
        checkpoints=results("astromer/folds/fold{fold}/checkpoints"),
    script:
        "../workflow/scripts/astromer_finetune_fold.py"


rule astromer_export:
    """The fine-tuned classifier and its encoder as ONNX files (run without TensorFlow by ONNX
    Runtime), each checked against Keras; export.json holds the input convention."""
    input:
        model_config=results("astromer/finetune/model/config.json"),
        model_weights=results("astromer/finetune/model/classifier.weights.h5"),
    output:
        encoder=results("astromer/export/encoder.onnx"),
        classifier=results("astromer/export/classifier.onnx"),
        record=results("astromer/export/export.json"),
    log:
        log_file("astromer_export.log"),
    benchmark:
        bench_file("astromer_export.tsv")
    conda:
        "../envs/gpu.yaml"
    script:
        "../workflow/scripts/astromer_export.py"


rule astromer_infer:
    """p_lc_galaxy, p_lc_QSO, p_lc_star for a group of shards (GPU job)."""
    input:
        unpack(get_astromer_infer_engine_input),
        model_config=results("astromer/finetune/model/config.json"),
        model_weights=results("astromer/finetune/model/classifier.weights.h5"),
        objects=per_group_shard(results("preprocess/dataset/{shard}.parquet")),
    output:
        predictions=results("astromer/predictions/group{group}.parquet"),
    log:
        log_file("astromer_infer/group{group}.log"),
    benchmark:
        bench_file("astromer_infer/group{group}.tsv")
    conda:
        "../envs/gpu.yaml"
    threads: config["threads"]
    resources:
        gpu=1,
    params:
        settings=config["astromer"],
        shards=get_group_shards,
    script:
        "../workflow/scripts/astromer_infer.py"


rule astromer_predictions:
    """Every group classified: its predictions are its shards' preprocessed objects, one each."""
    input:
        preprocess_summary=results("preprocess/summary.json"),
        groups=per_group(results("astromer/predictions/group{group}.parquet")),
        objects=per_shard(results("preprocess/dataset/{shard}.parquet")),
    output:
        done=results("astromer/predictions/done.json"),
    log:
        log_file("astromer_predictions.log"),
    benchmark:
        bench_file("astromer_predictions.tsv")
    conda:
        "../envs/cpu.yaml"
    resources:
        # One group's object IDs at a time.
        mem_mb=memory_mb(2000),
    params:
        group_sizes=lambda wildcards: [len(g) for g in infer_groups()],
    script:
        "../workflow/scripts/astromer_predictions.py"
