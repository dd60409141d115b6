rule ztf_inventory:
    """Validate every ZTF light-curve file and list its objects and epochs."""
    input:
        # What the file list depends on (the files, or the simulator's manifest); the stage
        # reads the files that params.lightcurves names.
        get_ztf_inventory_files,
    output:
        table=results("inputs/ztf_inventory.parquet"),
        summary=results("inputs/ztf_inventory.json"),
    log:
        log_file("ztf_inventory.log"),
    benchmark:
        bench_file("ztf_inventory.tsv")
    conda:
        "../envs/cpu.yaml"
    threads: config["threads"]
    params:
        lightcurves=config["inputs"]["ztf_lightcurves"],
        band=config["inputs"]["band"],
    script:
        "../workflow/scripts/ztf_inventory.py"
