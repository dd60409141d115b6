checkpoint partition_plan:
    """Adaptive HEALPix shards balanced by row count; input files grouped into batches."""
    input:
        inventory=f"{RESULTS}/inputs/ztf_inventory.parquet",
    output:
        plan=PLAN,
    log:
        f"{LOGS}/partition_plan.log",
    benchmark:
        f"{BENCH}/partition_plan.tsv"
    conda:
        "../envs/cpu.yaml"
    threads: config["threads"]
    params:
        settings=config["partition"],
    script:
        "../workflow/scripts/partition_plan.py"


rule partition_split:
    """One batch of light-curve files cut into pieces per shard, plus margin copies."""
    input:
        plan=PLAN,
    output:
        temp(directory(f"{RESULTS}/partition/pieces/batch{{batch}}")),
    log:
        f"{LOGS}/partition_split/batch{{batch}}.log",
    benchmark:
        f"{BENCH}/partition_split/batch{{batch}}.tsv"
    conda:
        "../envs/cpu.yaml"
    resources:
        mem_mb=memory_mb(4000),
    script:
        "../workflow/scripts/partition_split.py"


rule hats_metadata:
    """HATS metadata of the light-curve catalog and its margin (hats and lsdb open them)."""
    input:
        plan=PLAN,
        # Each shard's margin comes from the same job as its light-curve file.
        shards=per_shard(f"{ZTF_HATS}/dataset/{{shard}}.parquet"),
    output:
        catalog=f"{ZTF_HATS}/properties",
        margin=f"{ZTF_MARGIN}/properties",
    log:
        f"{LOGS}/hats_metadata.log",
    benchmark:
        f"{BENCH}/hats_metadata.tsv"
    conda:
        "../envs/cpu.yaml"
    script:
        "../workflow/scripts/hats_metadata.py"


rule partition_catalog:
    """An external catalog (AllWISE, PS1, Gaia, SDSS) on the ZTF shards, with margins."""
    input:
        plan=PLAN,
        files=catalog_input_files,
    output:
        directory(f"{HATS}/catalogs/{{catalog}}"),
    log:
        f"{LOGS}/partition_catalog/{{catalog}}.log",
    benchmark:
        f"{BENCH}/partition_catalog/{{catalog}}.tsv"
    conda:
        "../envs/cpu.yaml"
    params:
        spec=lambda wc: config["catalogs"][wc.catalog],
        margin_arcsec=config["partition"]["margin_arcsec"],
    script:
        "../workflow/scripts/partition_catalog.py"


rule catalogs_summary:
    """The cross-matched catalogs' row accounting in one file; shard jobs depend on it (one
    input per shard job, not one per catalog: cheaper to plan for tens of thousands)."""
    input:
        expand(f"{HATS}/catalogs/{{catalog}}", catalog=MATCHED_CATALOGS),
    output:
        f"{HATS}/catalogs/summary.json",
    log:
        f"{LOGS}/catalogs_summary.log",
    benchmark:
        f"{BENCH}/catalogs_summary.tsv"
    conda:
        "../envs/cpu.yaml"
    params:
        names=MATCHED_CATALOGS,
    script:
        "../workflow/scripts/catalogs_summary.py"
