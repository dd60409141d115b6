rule preprocess:
    """Clean, night-average and summarise one shard's light curves (and its margin's)."""
    input:
        shard=f"{ZTF_HATS}/dataset/{{shard}}.parquet",
        margin=f"{ZTF_MARGIN}/dataset/{{shard}}.parquet",
    output:
        objects=f"{RESULTS}/preprocess/dataset/{{shard}}.parquet",
        margin=f"{RESULTS}/preprocess/margin/{{shard}}.parquet",
        accounting=f"{RESULTS}/preprocess/accounting/{{shard}}.json",
    log:
        f"{LOGS}/preprocess/{{shard}}.log",
    benchmark:
        f"{BENCH}/preprocess/{{shard}}.tsv"
    conda:
        "../envs/cpu.yaml"
    resources:
        mem_mb=lambda wc, attempt: 4000 * attempt,
    params:
        settings=config["preprocess"],
    script:
        "../workflow/scripts/preprocess.py"


rule dedup:
    """Flag objects with a neighbour within the radius that has more nights (margin included)."""
    input:
        objects=f"{RESULTS}/preprocess/dataset/{{shard}}.parquet",
        margin=f"{RESULTS}/preprocess/margin/{{shard}}.parquet",
    output:
        f"{RESULTS}/dedup/dataset/{{shard}}.parquet",
    log:
        f"{LOGS}/dedup/{{shard}}.log",
    benchmark:
        f"{BENCH}/dedup/{{shard}}.tsv"
    conda:
        "../envs/cpu.yaml"
    params:
        radius_arcsec=config["dedup"]["radius_arcsec"],
    script:
        "../workflow/scripts/dedup.py"


rule preprocess_summary:
    """Sum of the shards' accounting; fails unless every input object is accounted for."""
    input:
        inventory=f"{RESULTS}/inputs/ztf_inventory.parquet",
        accounting=per_shard(f"{RESULTS}/preprocess/accounting/{{shard}}.json"),
        dedup=per_shard(f"{RESULTS}/dedup/dataset/{{shard}}.parquet"),
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
