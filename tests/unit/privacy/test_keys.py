"""The lake's keys: from the config or environment, else a random key file created once per lake and reused."""
from __future__ import annotations

import stat
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from shoplake.config import load_config
from shoplake.errors import ConfigurationError
from shoplake.privacy.keys import MissingKey, key_dir, resolve_audit_key, resolve_key

ROOT = Path(__file__).resolve().parents[3]


def lake_settings(root: Path, **privacy):
    base = load_config("test")
    return replace(base, lake=replace(base.lake, root=str(root)), privacy=replace(base.privacy, **privacy))


def test_key_from_config_or_environment_variable(tmp_path):
    settings = lake_settings(tmp_path / "lake")
    assert resolve_key(settings, {"SHOPLAKE_PSEUDONYM_KEY": "s3cret"}) == b"s3cret"
    assert resolve_audit_key(settings, {"SHOPLAKE_AUDIT_KEY": "audit-s3cret"}) == b"audit-s3cret"
    assert resolve_key(lake_settings(tmp_path / "lake", key="from-config"), {}) == b"from-config"
    assert not (tmp_path / "lake.keys").exists()  # nothing written when a key is given


def test_without_a_key_each_lake_gets_its_own_random_private_key_file_reused_later(tmp_path):
    first = lake_settings(tmp_path / "one" / "lake")
    key, audit = resolve_key(first, {}), resolve_audit_key(first, {})
    folder = tmp_path / "one" / "lake.keys"
    assert key_dir(first) == folder
    assert len(key) == 64 and key != audit  # 32 random bytes as hex, two different keys
    for path in (folder / "pseudonym.key", folder / "audit.key"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert resolve_key(first, {}) == key and resolve_audit_key(first, {}) == audit  # reused, not recreated
    assert resolve_key(lake_settings(tmp_path / "two" / "lake"), {}) != key  # another lake, another key


def test_the_key_is_never_written_to_the_log(tmp_path):
    script = ("import logging, sys; logging.basicConfig(stream=sys.stderr, level=logging.DEBUG);"
              "from shoplake.privacy.keys import resolve_key; from tests.unit.privacy.test_keys import lake_settings;"
              f"from pathlib import Path; print(resolve_key(lake_settings(Path({str(tmp_path / 'lake')!r})), {{}}).decode())")
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    key = run.stdout.strip()
    assert len(key) == 64
    assert "created a new key file" in run.stderr and key not in run.stderr


def test_a_lost_key_file_is_not_silently_replaced_for_a_lake_that_holds_tables(tmp_path):
    settings = lake_settings(tmp_path / "lake")
    resolve_key(settings, {})
    (tmp_path / "lake" / "silver" / "events" / "_delta_log").mkdir(parents=True)
    (tmp_path / "lake.keys" / "pseudonym.key").unlink()
    with pytest.raises(MissingKey, match="holds tables made with the key in .*pseudonym.key, which is missing"):
        resolve_key(settings, {})
    assert resolve_audit_key(settings, {})  # no erasure record exists yet: the audit key may still be created


def test_a_key_file_others_can_read_is_refused(tmp_path):
    settings = lake_settings(tmp_path / "lake")
    resolve_key(settings, {})
    (tmp_path / "lake.keys" / "pseudonym.key").chmod(0o644)
    with pytest.raises(MissingKey, match="can be read by other users"):
        resolve_key(settings, {})


def test_required_or_remote_lakes_need_configured_keys():
    cluster = load_config("cluster")  # hdfs:// root, require_key: true
    with pytest.raises(MissingKey, match="set the environment variable SHOPLAKE_PSEUDONYM_KEY"):
        resolve_key(cluster, {})
    with pytest.raises(MissingKey, match="set the environment variable SHOPLAKE_AUDIT_KEY"):
        resolve_audit_key(cluster, {"SHOPLAKE_PSEUDONYM_KEY": "k"})
    remote = replace(cluster, privacy=replace(cluster.privacy, require_key=False))
    with pytest.raises(MissingKey, match="not on the local filesystem"):
        resolve_key(remote, {})
    assert issubclass(MissingKey, ConfigurationError)  # the runner reports it as one line, exit code 2


def test_the_audit_key_must_differ_from_the_pseudonym_key():
    with pytest.raises(ConfigurationError, match="privacy.audit_key: must differ"):
        load_config("test", overrides={"privacy.key": "same", "privacy.audit_key": "same"})
