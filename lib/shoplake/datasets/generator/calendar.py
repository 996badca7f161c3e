"""Calendar effects: weekly and yearly seasonality of traffic, one weight per generated day."""
from __future__ import annotations

from datetime import timedelta

import numpy as np

from shoplake.datasets.generator.config import GeneratorConfig


def weekly_weights(config: GeneratorConfig) -> np.ndarray:
    """Monday..Sunday traffic multipliers scaled to mean 1."""
    weekly = np.asarray(config.weekly, dtype=float)
    return weekly / weekly.mean()


def yearly_weight(config: GeneratorConfig, day_of_year: np.ndarray) -> np.ndarray:
    """1 + amplitude * cos(2 pi (day_of_year - peak) / 365.25)."""
    phase = 2 * np.pi * (day_of_year - config.yearly_peak_day) / 365.25
    return 1 + config.yearly_amplitude * np.cos(phase)


def day_weights(config: GeneratorConfig) -> np.ndarray:
    """Traffic multiplier of each generated day: weekly times yearly seasonality."""
    dates = [config.start_date + timedelta(days=d) for d in range(config.days)]
    weekday = np.array([d.weekday() for d in dates])
    day_of_year = np.array([d.timetuple().tm_yday for d in dates])
    return weekly_weights(config)[weekday] * yearly_weight(config, day_of_year)
