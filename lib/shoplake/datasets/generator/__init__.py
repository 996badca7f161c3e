"""The synthetic shop: users with tastes, sessions and a funnel, seasonality, prices and promotions,
repeat purchases and churn, FBT pairs, planted anomalies and corrupt records, at any scale on Spark."""

from shoplake.datasets.generator.config import PRESETS, GeneratorConfig, make_config
from shoplake.datasets.generator.run import default_truth_dir, generate

__all__ = ["PRESETS", "GeneratorConfig", "default_truth_dir", "generate", "make_config"]
