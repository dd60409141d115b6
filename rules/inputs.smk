rule ztf_inventory:
    """Validate every ZTF light-curve file and list its objects and epochs."""
    input:
        ztf_input_files,
    output:
        table=f"{RESULTS}/inputs/ztf_inventory.parquet",
        summary=f"{RESULTS}/inputs/ztf_inventory.json",
    log:
        f"{LOGS}/ztf_inventory.log",
    benchmark:
        f"{BENCH}/ztf_inventory.tsv"
    conda:
        "../envs/cpu.yaml"
    threads: config["threads"]
    params:
        lightcurves=config["inputs"]["ztf_lightcurves"],
        band=config["inputs"]["band"],
    script:
        "../workflow/scripts/ztf_inventory.py"
