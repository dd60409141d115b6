"""The transformer study's combinable variants."""

from qzo.config import validate_config
from qzo.studies.transformer import VARIANTS


def test_departures_add_to_the_base_settings_stage_by_stage():
    """A departure that changes a training stage (the plateau schedule) keeps the base's other
    keys of that stage (fine-tuning patience 5), and every variant is a valid config."""
    variant = VARIANTS["no_pretraining_residual_plateau"]
    assert variant["finetune"] == {"patience": 5, "schedule": "plateau"}
    assert variant["residual"] and variant["pretrain"] is False
    assert "schedule" not in VARIANTS["sky_residual"]["finetune"]
    for change in VARIANTS.values():
        validate_config({"astromer": {k: v for k, v in change.items() if k != "pretrain"}})
