rule evaluate:
    """Tables 1, 3, 4, the stacking comparison, Figures 3, 7, 8, 9 and a QZO sky map; on the
    simulated sky, the catalogs' true purity and completeness."""
    input:
        unpack(get_evaluate_truth),
        training_predictions=results("xgb/training_predictions.parquet"),
        experiments=results("xgb/experiments.csv"),
        light_curve_models=results("xgb/light_curve_models.parquet"),
        stacking=results("xgb/stacking.csv"),
        importance=results("xgb/importance.csv"),
        hats=results("catalog/hats/qzo_objects"),
    output:
        **evaluation_tables(),
        fig3=report(
            results("evaluate/fig3.png"),
            caption="../workflow/report/fig3.rst",
            category="Classification",
        ),
        fig7=report(
            results("evaluate/fig7.png"),
            caption="../workflow/report/fig7.rst",
            category="Classification",
        ),
        fig8=report(
            results("evaluate/fig8.png"),
            caption="../workflow/report/fig8.rst",
            category="Redshifts",
        ),
        fig9=report(
            results("evaluate/fig9.png"),
            caption="../workflow/report/fig9.rst",
            category="Catalog",
        ),
        fig_light_curve_models=report(
            results("evaluate/fig_light_curve_models.png"),
            caption="../workflow/report/fig_light_curve_models.rst",
            category="Classification",
        ),
        skymap=report(
            results("evaluate/skymap.png"),
            caption="../workflow/report/skymap.rst",
            category="Catalog",
        ),
        summary=results("evaluate/summary.json"),
    log:
        log_file("evaluate.log"),
    benchmark:
        bench_file("evaluate.tsv")
    conda:
        "../envs/cpu.yaml"
    params:
        settings={
            **config["evaluate"],
            **config["catalog"],
            "catalog_light_curve_features": config["xgb"][
                "catalog_light_curve_features"
            ],
            "xgb": config["xgb"],
            "threads": config["threads"],
        },
    script:
        "../workflow/scripts/evaluate.py"
