rule labels:
    """SDSS × ZTF training set: cleaned spectra, longest light curve each, grouped split."""
    input:
        # The partitioned SDSS catalog: its shard files are params.sdss and params.sdss_margin.
        PARTITIONED.format(catalog="sdss"),
        objects=per_shard(results("preprocess/dataset/{shard}.parquet")),
    output:
        table=results("labels/training_set.parquet"),
        summary=results("labels/summary.json"),
    log:
        log_file("labels.log"),
    benchmark:
        bench_file("labels.tsv")
    conda:
        "../envs/cpu.yaml"
    params:
        shards=get_shard_names,
        sdss=per_shard(results("hats/catalogs/sdss/sdss/dataset/{shard}.parquet")),
        sdss_margin=per_shard(
            results("hats/catalogs/sdss/sdss_margin/dataset/{shard}.parquet")
        ),
        # Where each shard's feature table is ({shard} left for the stage, as for xgb_train):
        # written by the shard jobs that wrote the objects above.
        features=get_features_template,
        settings=config["labels"],
        # What an error about the spectra or the counterparts names.
        sdss_catalog=config["catalogs"]["sdss"]["path"],
        allwise_catalog=config["catalogs"]["allwise"]["path"],
    script:
        "../workflow/scripts/labels.py"
