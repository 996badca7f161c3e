"""MLflow helpers shared by every model job: one experiment per job family, runs, trials,
the lake table versions a run read, and model registration.

The tracking store and artifact root come from the ``mlflow`` settings section; experiments are named
``<experiment_prefix>-<family>`` and keep their artifacts under ``<artifact_root>/<name>``.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import mlflow
from mlflow.entities.model_registry import ModelVersion
from mlflow.tracking import MlflowClient

from shoplake.config.settings import MlflowSettings


def experiment_name(store: MlflowSettings, family: str) -> str:
    """The experiment of a job family, e.g. ``shoplake-als``."""
    return f"{store.experiment_prefix}-{family}"


def _artifact_location(store: MlflowSettings, name: str) -> str:
    root = store.artifact_root
    if urlparse(root).scheme in ("", "file"):
        return (Path(root.removeprefix("file://")).expanduser().resolve() / name).as_uri()
    return f"{root.rstrip('/')}/{name}"


def use_tracking_store(store: MlflowSettings) -> MlflowClient:
    """Point MLflow (tracking and registry) at ``store.tracking_uri``."""
    mlflow.set_tracking_uri(store.tracking_uri)
    mlflow.set_registry_uri(store.tracking_uri)
    return MlflowClient(store.tracking_uri)


def ensure_experiment(store: MlflowSettings, family: str) -> str:
    """The id of the family's experiment, created with its artifact location if missing."""
    client = use_tracking_store(store)
    name = experiment_name(store, family)
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    return client.create_experiment(name, artifact_location=_artifact_location(store, name))


@contextmanager
def start_run(store: MlflowSettings, family: str, run_name: str | None = None,
              tags: Mapping[str, str] | None = None) -> Iterator[mlflow.ActiveRun]:
    """An MLflow run in the family's experiment; ended (failed on error) when the block exits."""
    experiment_id = ensure_experiment(store, family)
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name, tags=dict(tags or {})) as run:
        yield run


def log_table_versions(versions: Mapping[str, int]) -> None:
    """Record the Delta version of each lake table the run read, so it can be reproduced."""
    mlflow.log_params({f"table.{name}.version": version for name, version in versions.items()})


def table_versions(store: MlflowSettings, run_id: str) -> dict[str, int]:
    """The table versions a run recorded with :func:`log_table_versions`."""
    params = use_tracking_store(store).get_run(run_id).data.params
    return {key[len("table."):-len(".version")]: int(value) for key, value in params.items()
            if key.startswith("table.") and key.endswith(".version")}


def log_child_run(name: str, params: Mapping[str, object], metrics: Mapping[str, float]) -> str:
    """One nested run (a tuning trial) under the active run; returns its run id."""
    parent = mlflow.active_run()
    with mlflow.start_run(experiment_id=parent.info.experiment_id, run_name=name, nested=True) as child:
        mlflow.log_params(dict(params))
        mlflow.log_metrics(dict(metrics))
    return child.info.run_id


def register_model(model_uri: str, name: str, tags: Mapping[str, str] | None = None) -> str:
    """Register ``model_uri`` as a new version of ``name``; returns the version number."""
    version = mlflow.register_model(model_uri, name, tags=dict(tags or {}))
    return str(version.version)


class NoRegisteredModel(LookupError):
    """No version of a registered model exists (yet)."""


def registered_version(store: MlflowSettings, name: str, version: str | None = None) -> ModelVersion:
    """Version ``version`` of registered model ``name``, or its latest; a clear error if there is none."""
    client = use_tracking_store(store)
    if version is not None:
        return client.get_model_version(name, version)
    versions = client.search_model_versions(f"name = '{name}'")
    if not versions:
        raise NoRegisteredModel(f"no version of model {name!r} is registered in {store.tracking_uri}")
    return max(versions, key=lambda v: int(v.version))
