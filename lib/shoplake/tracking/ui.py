"""Serve the configured MLflow tracking store with ``mlflow ui`` on the loopback interface."""
from __future__ import annotations

import sys
from pathlib import Path

from shoplake.config.settings import MlflowSettings


def mlflow_ui_command(store: MlflowSettings, host: str = "127.0.0.1", port: int = 5000) -> list[str]:
    """The ``mlflow ui`` command line for the ``mlflow`` settings section (tracking store and artifact root)."""
    mlflow = Path(sys.executable).with_name("mlflow")
    return [str(mlflow), "ui", "--backend-store-uri", store.tracking_uri,
            "--default-artifact-root", store.artifact_root, "--host", host, "--port", str(port)]
