checkpoint partition_plan:
    """Adaptive HEALPix shards balanced by row count, input files grouped into batches; or a
    HATS input's partitions, from its metadata."""
    input:
        unpack(get_partition_plan_input),
    output:
        plan=PLAN,
    log:
        log_file("partition_plan.log"),
    benchmark:
        bench_file("partition_plan.tsv")
    conda:
        "../envs/cpu.yaml"
    threads: config["threads"]
    params:
        settings=config["partition"],
        hats_catalog=config["inputs"]["ztf_lightcurves"] if HATS_INPUT else None,
        region=config["inputs"]["region"],
    script:
        "../workflow/scripts/partition_plan.py"


rule partition_split:
    """One batch of light-curve files cut into pieces per shard, plus margin copies."""
    input:
        plan=PLAN,
    output:
        pieces=temp(directory(results("partition/pieces/batch{batch}"))),
    log:
        log_file("partition_split/batch{batch}.log"),
    benchmark:
        bench_file("partition_split/batch{batch}.tsv")
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
        # Each shard's margin file comes from the same job as its light-curve file.
        shards=per_shard(results("hats/ztf_lc/dataset/{shard}.parquet")),
    output:
        # Written last; partition_info.csv and dataset/_metadata, _common_metadata beside it.
        catalog_properties=results("hats/ztf_lc/properties"),
        margin_properties=results("hats/ztf_lc_margin/properties"),
    log:
        log_file("hats_metadata.log"),
    benchmark:
        bench_file("hats_metadata.tsv")
    conda:
        "../envs/cpu.yaml"
    script:
        "../workflow/scripts/hats_metadata.py"


rule partition_catalog:
    """An external catalog (AllWISE, PS1, Gaia, SDSS) on the ZTF shards, with margins."""
    input:
        plan=PLAN,
        files=get_partition_catalog_files,
    output:
        partitioned=directory(PARTITIONED),
    log:
        log_file("partition_catalog/{catalog}.log"),
    benchmark:
        bench_file("partition_catalog/{catalog}.tsv")
    conda:
        "../envs/cpu.yaml"
    params:
        spec=lambda wildcards: config["catalogs"][wildcards.catalog],
        margin_arcsec=config["partition"]["margin_arcsec"],
    script:
        "../workflow/scripts/partition_catalog.py"


rule catalogs_summary:
    """The cross-matched catalogs' row accounting in one file; shard jobs depend on it (one
    input per shard job, not one per catalog: cheaper to plan for tens of thousands)."""
    input:
        partitioned=expand(
            PARTITIONED, catalog=[c for c in MATCHED_CATALOGS if c in REPARTITIONED]
        ),
        # The catalogs read where they lie (HATS, HEALPix hive): their metadata.
        in_place_metadata=get_in_place_catalog_metadata,
    output:
        summary=results("hats/catalogs/summary.json"),
    log:
        log_file("catalogs_summary.log"),
    benchmark:
        bench_file("catalogs_summary.tsv")
    conda:
        "../envs/cpu.yaml"
    params:
        names=[c for c in MATCHED_CATALOGS if c in REPARTITIONED],
        in_place={c: config["catalogs"][c]["path"] for c in IN_PLACE_CATALOGS},
    script:
        "../workflow/scripts/catalogs_summary.py"
