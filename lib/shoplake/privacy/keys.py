"""The two secret keys of a lake: the pseudonym key and the audit key. Neither is ever logged.

- The **pseudonym key** keys the HMAC that turns customer and user ids into the pseudonyms silver
  and gold tables hold (:mod:`shoplake.privacy.pseudonyms`).
- The **audit key** keys the hashes in the erasure records (``ops.erasures``, ``ops.erasure_list``),
  so those records identify nobody without it, not even with the pseudonym key.

Each key comes, in order, from the config (``privacy.key`` / ``privacy.audit_key``), from its
environment variable (``privacy.key_env`` / ``privacy.audit_key_env``), or from a key file of the
lake: ``<privacy.key_dir>/pseudonym.key`` and ``audit.key``, where ``key_dir`` defaults to the folder
beside a local lake root (``./lake`` → ``./lake.keys``). A missing key file is created once, with 32
random bytes, in a folder of mode 0700 and a file of mode 0600, and reused by every later job on
that lake. With ``privacy.require_key`` (the cluster config), or a lake that is not on the local
filesystem, no key file is created: both keys must be configured.
"""
from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from shoplake.config import Settings
from shoplake.errors import ConfigurationError
from shoplake.lake.local_files import create_whole
from shoplake.log import get_logger
from shoplake.session.preflight import local_path

log = get_logger(__name__)
KEY_BYTES = 32


class MissingKey(ConfigurationError):
    """A key the configuration requires was not given, or its key file cannot be used."""


@dataclass(frozen=True)
class KeySource:
    """Where one key may come from (a config value, an environment variable, a key file name), and the
    lake tables whose values depend on it (``layer/name`` globs), which forbid creating a new one."""

    setting: str
    value: str
    env: str
    file_name: str
    dependents: tuple[str, ...]


def key_dir(settings: Settings) -> Path | None:
    """The folder of the lake's key files; ``None`` when the lake is not on the local filesystem."""
    if settings.privacy.key_dir:
        return Path(settings.privacy.key_dir)
    root = local_path(settings.lake.root)
    return None if root is None else root.absolute().parent / f"{root.absolute().name}.keys"


def _holds(root: Path | None, tables: tuple[str, ...]) -> bool:
    return root is not None and any(any(root.glob(f"{table}/_delta_log")) for table in tables)


def _from_file(path: Path, lake_root: Path | None, dependents: tuple[str, ...]) -> bytes:
    """The key in ``path``, created with fresh random bytes (mode 0600) when there is none yet.

    A new key for a lake whose ``dependents`` tables exist would silently change the hashes they
    hold, so that is refused: the lake's key file was lost, or the lake was copied without it.
    """
    if not path.exists():
        if _holds(lake_root, dependents):
            raise MissingKey(f"the lake {lake_root} holds tables made with the key in {path}, which is missing: "
                             "copy the lake's key folder beside it, or set the key in the environment")
        _create(path)
    if path.stat().st_mode & 0o077:
        raise MissingKey(f"key file {path} can be read by other users; make it private (chmod 600 {path})")
    key = path.read_text().strip()
    if not key:
        raise MissingKey(f"key file {path} is empty; restore the lake's key file")
    return key.encode()


def _create(path: Path) -> None:
    """Write a random key to ``path`` whole (a job starting beside this one reads it whole or not at all)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if create_whole(path, secrets.token_hex(KEY_BYTES).encode(), mode=0o600):
        log.info("created a new key file %s (keep it with the lake: the lake's hashes depend on it)", path)


def _resolve(settings: Settings, environ: Mapping[str, str], source: KeySource) -> bytes:
    key = source.value or environ.get(source.env, "")
    if key:
        return key.encode()
    folder = key_dir(settings)
    if settings.privacy.require_key or folder is None:
        why = "privacy.require_key is true" if settings.privacy.require_key else (
            f"the lake root {settings.lake.root} is not on the local filesystem")
        raise MissingKey(f"no {source.file_name} key: set the environment variable {source.env} or "
                         f"privacy.{source.setting} in {settings.source_file or 'the config'} ({why})")
    return _from_file(folder / f"{source.file_name}.key", local_path(settings.lake.root), source.dependents)


def resolve_key(settings: Settings, environ: Mapping[str, str]) -> bytes:
    """The pseudonym key: config, environment variable, or the lake's key file (created once)."""
    privacy = settings.privacy
    source = KeySource("key", privacy.key, privacy.key_env, "pseudonym", ("silver/*", "gold/*"))
    return _resolve(settings, environ, source)


def resolve_audit_key(settings: Settings, environ: Mapping[str, str]) -> bytes:
    """The audit key of erasure records: config, environment variable, or the lake's key file (created once)."""
    privacy = settings.privacy
    source = KeySource("audit_key", privacy.audit_key, privacy.audit_key_env, "audit", ("ops/erasure*",))
    return _resolve(settings, environ, source)
