rule shard:
    """One shard, start to end: its HATS light curves and margin (the partition's reduce step),
    preprocessing (the margin's too), duplicate flags against shard + margin, and the feature
    table (nearest AllWISE, PS1 and Gaia counterparts from the catalogs' shard + margin).

    One job per shard, not four: with 12,288 shards, separate rules made a 37k-job DAG that
    took Snakemake ~105 s to plan; one job per shard keeps dry runs and the scheduler light.
    """
    input:
        # Stands for the partitioned catalogs whose shard files params.catalog_shards names.
        results("hats/catalogs/summary.json"),
        batches=get_shard_batches,
        partitions=get_shard_partitions,
    output:
        lightcurves=results("hats/ztf_lc/dataset/{shard}.parquet"),
        lightcurves_margin=results("hats/ztf_lc_margin/dataset/{shard}.parquet"),
        objects=results("preprocess/dataset/{shard}.parquet"),
        objects_margin=results("preprocess/margin/{shard}.parquet"),
        dedup=results("dedup/dataset/{shard}.parquet"),
        features=results("features/dataset/{shard}.parquet"),
        # Written last: it stands for all of the shard's outputs.
        accounting=results("preprocess/accounting/{shard}.json"),
    log:
        log_file("shard/{shard}.log"),
    benchmark:
        bench_file("shard/{shard}.tsv")
    conda:
        "../envs/cpu.yaml"
    resources:
        mem_mb=memory_mb(4000),
    params:
        # Read by the stage but not an input: every batch directory already depends on the plan,
        # and one input less per shard job keeps the DAG of 10^4 shards quicker to plan.
        plan=PLAN,
        band=config["inputs"]["band"],
        catalog_shards=get_shard_catalog_shards,
        catalog_specs={c: config["catalogs"][c] for c in MATCHED_CATALOGS},
        preprocessing=config["preprocess"],
        dedup_radius_arcsec=config["dedup"]["radius_arcsec"],
        crossmatch=config["crossmatch"],
    script:
        "../workflow/scripts/shard.py"


rule preprocess_summary:
    """Sum of the shards' accounting; fails unless every input object is accounted for."""
    input:
        unpack(get_preprocess_summary_reference),
        accounting=per_shard(results("preprocess/accounting/{shard}.json")),
    output:
        summary=results("preprocess/summary.json"),
    log:
        log_file("preprocess_summary.log"),
    benchmark:
        bench_file("preprocess_summary.tsv")
    conda:
        "../envs/cpu.yaml"
    script:
        "../workflow/scripts/preprocess_summary.py"
