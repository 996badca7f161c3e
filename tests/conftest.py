"""Shared fixtures: test settings with a per-session temp lake, and one SparkSession."""
from __future__ import annotations

import os

import pytest

from shoplake.config import load_config


@pytest.fixture(scope="session")
def settings(tmp_path_factory):
    """conf/test.yaml with the lake, MLflow store and inputs under a temp directory."""
    root = tmp_path_factory.mktemp("shoplake")
    return load_config(
        "test",
        environ=os.environ,
        overrides={
            "lake.root": str(root / "lake"),
            "mlflow.tracking_uri": f"sqlite:///{root / 'mlflow.db'}",
            "mlflow.artifact_root": str(root / "mlartifacts"),
            "paths.inputs": str(root / "inputs"),
        },
    )


@pytest.fixture(scope="session")
def spark(settings):
    """One real local SparkSession for the whole test run (2 cores, no UI)."""
    from shoplake.session import build_session

    session = build_session(settings)
    yield session
    session.stop()
