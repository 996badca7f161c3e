"""The pipeline: the ordered steps of the main job, each logged with its duration and counts."""

from shoplake.pipeline.dag import Step, run_steps

__all__ = ["Step", "run_steps"]
