from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "rules/common.smk"
include: "rules/simulate.smk"
include: "rules/inputs.smk"
include: "rules/partition.smk"
include: "rules/preprocess.smk"
include: "rules/astromer.smk"
include: "rules/catalog.smk"


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
