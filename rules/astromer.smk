rule labels:
    """SDSS × ZTF training set: cleaned spectra, longest light curve each, grouped split."""
    input:
        sdss=f"{HATS}/catalogs/sdss",
        objects=per_shard(f"{RESULTS}/preprocess/dataset/{{shard}}.parquet"),
    output:
        table=f"{RESULTS}/labels/training_set.parquet",
        summary=f"{RESULTS}/labels/summary.json",
    log:
        f"{LOGS}/labels.log",
    benchmark:
        f"{BENCH}/labels.tsv"
    conda:
        "../envs/cpu.yaml"
    params:
        settings=config["labels"],
        shards=shard_names,
    script:
        "../workflow/scripts/labels.py"


rule astromer_pretrain:
    """Stage 1: masked-reconstruction (re)training of the encoder (GPU job)."""
    input:
        f"{RESULTS}/labels/training_set.parquet",
    output:
        f"{RESULTS}/astromer/pretrain/encoder.weights.h5",
    log:
        f"{LOGS}/astromer_pretrain.log",
    benchmark:
        f"{BENCH}/astromer_pretrain.tsv"
    conda:
        "../envs/gpu.yaml"
    resources:
        gpu=1,
    params:
        astromer=config["astromer"],
    script:
        "../workflow/scripts/astromer_pretrain.py"


rule astromer_finetune:
    """Stage 2: the light-curve classifier (GPU job)."""
    input:
        table=f"{RESULTS}/labels/training_set.parquet",
        encoder=f"{RESULTS}/astromer/pretrain/encoder.weights.h5",
    output:
        config=f"{RESULTS}/astromer/finetune/model/config.json",
        weights=f"{RESULTS}/astromer/finetune/model/classifier.weights.h5",
        predictions=f"{RESULTS}/astromer/finetune/training_predictions.parquet",
    log:
        f"{LOGS}/astromer_finetune.log",
    benchmark:
        f"{BENCH}/astromer_finetune.tsv"
    conda:
        "../envs/gpu.yaml"
    resources:
        gpu=1,
    params:
        astromer=config["astromer"],
    script:
        "../workflow/scripts/astromer_finetune.py"


rule astromer_finetune_fold:
    """Cross-fitting: the classifier without one fold of the train split, applied to that
    fold, so XGBoost trains on out-of-sample light-curve probabilities (GPU job)."""
    input:
        table=f"{RESULTS}/labels/training_set.parquet",
        encoder=f"{RESULTS}/astromer/pretrain/encoder.weights.h5",
    output:
        f"{RESULTS}/astromer/folds/fold{{fold}}/predictions.parquet",
    log:
        f"{LOGS}/astromer_finetune_fold/fold{{fold}}.log",
    benchmark:
        f"{BENCH}/astromer_finetune_fold/fold{{fold}}.tsv"
    conda:
        "../envs/gpu.yaml"
    resources:
        gpu=1,
    params:
        astromer=config["astromer"],
    script:
        "../workflow/scripts/astromer_finetune_fold.py"


rule astromer_infer:
    """p_lc_galaxy, p_lc_QSO, p_lc_star for a group of shards (GPU job)."""
    input:
        model=f"{RESULTS}/astromer/finetune/model/config.json",
        objects=group_inputs,
    output:
        f"{RESULTS}/astromer/predictions/group{{group}}.parquet",
    log:
        f"{LOGS}/astromer_infer/group{{group}}.log",
    benchmark:
        f"{BENCH}/astromer_infer/group{{group}}.tsv"
    conda:
        "../envs/gpu.yaml"
    resources:
        gpu=1,
    params:
        astromer=config["astromer"],
        shards=group_shards,
    script:
        "../workflow/scripts/astromer_infer.py"


rule astromer_predictions:
    """Every group classified; the row count must equal the preprocessed objects."""
    input:
        summary=f"{RESULTS}/preprocess/summary.json",
        groups=all_predictions,
    output:
        f"{RESULTS}/astromer/predictions/done.json",
    log:
        f"{LOGS}/astromer_predictions.log",
    benchmark:
        f"{BENCH}/astromer_predictions.tsv"
    conda:
        "../envs/cpu.yaml"
    resources:
        # Holds every object ID of the sky at once (789M for ZTF DR: ~6 GB, and a sorted copy).
        mem_mb=memory_mb(2000, input_factor=3),
    script:
        "../workflow/scripts/astromer_predictions.py"
