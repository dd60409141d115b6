rule shard:
    """One shard, start to end: its HATS light curves and margin (the partition's reduce step),
    preprocessing (the margin's too), duplicate flags against shard + margin, and the feature
    table (nearest AllWISE, PS1 and Gaia counterparts from the catalogs' shard + margin).

    One job per shard, not four: with 12,288 shards, separate rules made a 37k-job DAG that
    took Snakemake ~105 s to plan; one job per shard keeps dry runs and the scheduler light.
    """
    input:
        # The plan is read too, but every batch directory already depends on it: one input
        # less per shard job keeps the DAG of 10^4 shards quicker to plan.
        batches=split_dirs,
        catalogs=f"{HATS}/catalogs/summary.json",
    output:
        lightcurves=f"{ZTF_HATS}/dataset/{{shard}}.parquet",
        lightcurves_margin=f"{ZTF_MARGIN}/dataset/{{shard}}.parquet",
        objects=f"{RESULTS}/preprocess/dataset/{{shard}}.parquet",
        objects_margin=f"{RESULTS}/preprocess/margin/{{shard}}.parquet",
        accounting=f"{RESULTS}/preprocess/accounting/{{shard}}.json",
        dedup=f"{RESULTS}/dedup/dataset/{{shard}}.parquet",
        features=f"{RESULTS}/features/dataset/{{shard}}.parquet",
    log:
        f"{LOGS}/shard/{{shard}}.log",
    benchmark:
        f"{BENCH}/shard/{{shard}}.tsv"
    conda:
        "../envs/cpu.yaml"
    resources:
        mem_mb=memory_mb(4000),
    params:
        plan=PLAN,
        preprocess=config["preprocess"],
        dedup_radius_arcsec=config["dedup"]["radius_arcsec"],
        catalogs={c: config["catalogs"][c] for c in MATCHED_CATALOGS},
        crossmatch=config["crossmatch"],
    script:
        "../workflow/scripts/shard.py"


rule preprocess_summary:
    """Sum of the shards' accounting; fails unless every input object is accounted for."""
    input:
        inventory=f"{RESULTS}/inputs/ztf_inventory.parquet",
        # The shard job writes its accounting last: it stands for all of that shard's outputs.
        accounting=per_shard(f"{RESULTS}/preprocess/accounting/{{shard}}.json"),
    output:
        f"{RESULTS}/preprocess/summary.json",
    log:
        f"{LOGS}/preprocess_summary.log",
    benchmark:
        f"{BENCH}/preprocess_summary.tsv"
    conda:
        "../envs/cpu.yaml"
    script:
        "../workflow/scripts/preprocess_summary.py"
