"""The models: Astromer (``astromer``: encoder, published weights, training, inference), the
XGBoost ensembles (``xgb``), and the scores and data cuts of the paper's tables (``metrics``)."""
