"""A job's flags: config flags reach the step as settings values, validated like the file; plain options as options."""
from __future__ import annotations

import pytest

from shoplake.config import ConfigError, apply_overrides
from shoplake.runner import ConfigFlag, Job, load_job
from shoplake.steps.context import StepOutcome


def _echo(ctx) -> StepOutcome:
    return StepOutcome(figures={"epochs": ctx.settings.dl.image_epochs, "arch": ctx.settings.dl.image_arch,
                                "fresh": ctx.option("fresh", False), "horizon": ctx.settings.forecast.horizon,
                                "monthly_horizon": ctx.settings.forecast.monthly["horizon"]})


JOB = Job("echo", _echo, "echo the settings", lambda p: p.add_argument("--fresh", action="store_true"),
          (ConfigFlag("--epochs", ("dl.image_epochs",), int), ConfigFlag("--arch", ("dl.image_arch",)),
           ConfigFlag("--horizon", ("forecast.horizon", "forecast.monthly.horizon"), int)))


def test_config_flags_set_settings_for_the_run_and_unset_flags_leave_the_config_alone(settings):
    given = JOB.run_in(None, settings, ["--epochs", "3", "--horizon", "5", "--fresh"]).figures
    assert given == {"epochs": 3, "arch": settings.dl.image_arch, "fresh": True, "horizon": 5, "monthly_horizon": 5}
    untouched = JOB.run_in(None, settings, []).figures
    assert untouched == {"epochs": settings.dl.image_epochs, "arch": settings.dl.image_arch, "fresh": False,
                         "horizon": settings.forecast.horizon, "monthly_horizon": settings.forecast.monthly["horizon"]}


def test_a_config_flag_out_of_bounds_is_a_config_error_naming_the_key(settings):
    with pytest.raises(ConfigError, match="dl.image_arch: 'vgg' is not one of"):
        JOB.run_in(None, settings, ["--arch", "vgg"])
    with pytest.raises(ConfigError, match="dl.text_max_seq_len: MiniLM reads at most 512 tokens"):
        apply_overrides(settings, {"dl.text_max_seq_len": 1024})
    with pytest.raises(ConfigError, match="must leave rows to train on"):
        apply_overrides(settings, {"dl.validation_fraction": 0.5, "dl.text_test_fraction": 0.5})
    with pytest.raises(ConfigError, match="dl.image_epochs"):
        apply_overrides(settings, {"dl.image_epochs": "many"})
    assert apply_overrides(settings, {}) is settings


def test_every_job_file_defines_its_job_with_a_step_and_a_parser():
    from shoplake.runner import list_jobs

    for name in list_jobs():
        job = load_job(name)
        assert job.name == name and callable(job.step)
        assert job.parser().format_help().startswith("usage:")
