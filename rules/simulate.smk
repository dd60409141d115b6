rule simulate:
    """Simulated ZTF sky in the real formats, plus AllWISE/PS1/Gaia/SDSS and the truth."""
    output:
        **SIMULATED_HATS_CATALOGS,
        manifest=sim_path("manifest"),
        ztf=directory(sim_path("ztf")),
        allwise=sim_path("allwise"),
        ps1=sim_path("ps1"),
        gaia=sim_path("gaia"),
        sdss=sim_path("sdss_specobj"),
        truth_sources=sim_path("truth_sources"),
        truth_objects=sim_path("truth_objects"),
    log:
        log_file("simulate.log"),
    benchmark:
        bench_file("simulate.tsv")
    conda:
        "../envs/cpu.yaml"
    threads: config["threads"]
    resources:
        mem_mb=memory_mb(8000),
    params:
        simulation=config["simulation"],
        partition=config["partition"],
    script:
        "../workflow/scripts/simulate.py"
