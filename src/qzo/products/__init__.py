"""What the pipeline publishes: the catalogs (``catalog``), the evaluation tables
(``evaluate``) and figures (``figures``)."""
