"""The pipeline: the ordered steps of the main job, each logged with its duration and counts."""

from shoplake.pipeline.dag import Need, Step, run_steps

__all__ = ["Need", "Step", "run_steps"]
