from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "rules/common.smk"
include: "rules/simulate.smk"
include: "rules/inventory.smk"
include: "rules/partition.smk"
include: "rules/shard.smk"
include: "rules/training_set.smk"
include: "rules/astromer.smk"
include: "rules/xgb.smk"
include: "rules/calibrate.smk"
include: "rules/catalog.smk"
include: "rules/evaluate.smk"


# Bookkeeping that reads one small file per shard runs in the main Snakemake process, not as a
# cluster job of its own.
localrules:
    all,
    catalogs_summary,
    preprocess_summary,


rule all:
    default_target: True
    input:
        final_outputs(),
