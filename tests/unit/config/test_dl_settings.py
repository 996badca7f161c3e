"""The deep-learning profiles: the laptop one gates on the baselines alone, the full-size one adds the floors."""
from __future__ import annotations

from dataclasses import replace

import pytest

from shoplake.config import ConfigError, load_config


def test_the_laptop_profile_gates_on_the_baselines_and_leaves_the_floors_off():
    dl = load_config("local").dl
    assert (dl.beat_baseline, dl.enforce_floors) == (True, False)
    assert dl.text_rows > 0 and dl.image_train_rows > 0 and dl.text_length_pool > 0


def test_the_full_size_profile_uses_every_row_with_the_floors_on():
    settings = load_config("full")
    dl = settings.dl
    assert settings.env == "full" and settings.source_file.endswith("conf/full.yaml")
    assert (dl.beat_baseline, dl.enforce_floors, dl.device) == (True, True, "auto")
    assert (dl.text_rows, dl.image_train_rows, dl.image_test_rows, dl.text_encoder_layers) == (0, 0, 0, 0)
    assert (dl.text_min_auc, dl.text_min_macro_f1, dl.image_min_accuracy) == (0.93, 0.70, 0.92)
    assert settings.lake.root != load_config("local").lake.root  # its own pipeline ledger: nothing is skipped


def test_floors_enforced_but_all_zero_is_a_config_error():
    dl = load_config("full").dl
    errors = replace(dl, text_min_auc=0.0, text_min_macro_f1=0.0, image_min_accuracy=0.0).validate()
    assert errors == ["dl.enforce_floors: every floor (dl.text_min_*, dl.image_min_accuracy) is 0; "
                      "set them or turn enforce_floors off"]
    assert replace(dl, enforce_floors=False, text_min_auc=0.0, text_min_macro_f1=0.0, image_min_accuracy=0.0
                   ).validate() == []


def test_gate_switches_and_the_length_pool_are_checked_when_loaded(tmp_path):
    path = tmp_path / "custom.yaml"
    path.write_text("dl:\n  beat_baseline: sometimes\n")
    with pytest.raises(ConfigError, match="'dl.beat_baseline' must be true or false"):
        load_config(str(path))
    path.write_text("dl:\n  text_length_pool: -1\n")
    with pytest.raises(ConfigError, match="dl.text_length_pool: must be >= 0"):
        load_config(str(path))
