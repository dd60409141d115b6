"""One module per rule file (``rules/<name>.smk`` → ``qzo.stages.<name>``), one function per
rule, named as the rule. A stage reads its inputs, calls the library and writes its outputs
atomically; every file it reads or writes is one of its keyword arguments. ``runner`` calls a
stage with a Snakemake job's named inputs, outputs and params."""
