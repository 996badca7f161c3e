"""Keyed pseudonyms: equal to Python's HMAC-SHA256, stable, key-dependent; key resolution."""
from __future__ import annotations

import pytest

from shoplake.config import load_config
from shoplake.privacy.pseudonyms import DEVELOPMENT_KEY, MissingPseudonymKey, pseudonym, pseudonymize, resolve_key


def test_spark_pseudonym_equals_python_hmac(spark):
    ids = ["u1", "customer-000042", "ünïcødé", "x" * 200]
    df = spark.createDataFrame([(i,) for i in ids] + [(None,)], "id string")
    for key in (b"short-key", b"k" * 100):  # keys shorter and longer than the block size
        got = [r.p for r in df.select(pseudonymize(df.id, key).alias("p")).collect()]
        assert got == [pseudonym(i, key) for i in ids] + [None]


def test_different_keys_give_different_pseudonyms():
    assert pseudonym("u1", b"a") != pseudonym("u1", b"b")
    assert pseudonym("u1", b"a") == pseudonym("u1", b"a")


def test_key_from_environment_variable():
    settings = load_config("test")
    assert resolve_key(settings, {"SHOPLAKE_PSEUDONYM_KEY": "s3cret"}) == b"s3cret"


def test_missing_key_falls_back_to_development_key_unless_required():
    assert resolve_key(load_config("test"), {}) == DEVELOPMENT_KEY.encode()
    strict = load_config("test", overrides={"privacy.require_key": True})
    with pytest.raises(MissingPseudonymKey, match="set the environment variable SHOPLAKE_PSEUDONYM_KEY"):
        resolve_key(strict, {})


def test_cluster_config_requires_a_key():
    with pytest.raises(MissingPseudonymKey):
        resolve_key(load_config("cluster"), {})
