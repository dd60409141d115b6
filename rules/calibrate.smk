rule calibrate:
    """Class probabilities for the inference population: importance weights and the sky's class
    priors, fitted on the val split and a sample of every object's predictions."""
    input:
        groups=per_group(results("xgb/predictions/group{group}.parquet")),
        training_predictions=results("xgb/training_predictions.parquet"),
    output:
        calibration=results("calibrate/calibration.json"),
    log:
        log_file("calibrate.log"),
    benchmark:
        bench_file("calibrate.tsv")
    conda:
        "../envs/cpu.yaml"
    threads: config["threads"]
    params:
        settings=config["calibration"],
        xgb=config["xgb"],
        threads=config["threads"],
    script:
        "../workflow/scripts/calibrate.py"
