"""The spectroscopic training set (SDSS × ZTF, grouped split, cross-fitting folds:
``training_set``) and the stacking of light-curve probabilities into XGBoost (``stacking``)."""
