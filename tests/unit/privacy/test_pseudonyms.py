"""Keyed pseudonyms: equal to Python's HMAC-SHA256, stable, key-dependent."""
from __future__ import annotations

from shoplake.privacy.pseudonyms import pseudonym, pseudonymize


def test_spark_pseudonym_equals_python_hmac(spark):
    ids = ["u1", "customer-000042", "ünïcødé", "x" * 200]
    df = spark.createDataFrame([(i,) for i in ids] + [(None,)], "id string")
    for key in (b"short-key", b"k" * 100):  # keys shorter and longer than the block size
        got = [r.p for r in df.select(pseudonymize(df.id, key).alias("p")).collect()]
        assert got == [pseudonym(i, key) for i in ids] + [None]


def test_different_keys_give_different_pseudonyms():
    assert pseudonym("u1", b"a") != pseudonym("u1", b"b")
    assert pseudonym("u1", b"a") == pseudonym("u1", b"a")
