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


rule all:
    default_target: True
    input:
        final_outputs(),
