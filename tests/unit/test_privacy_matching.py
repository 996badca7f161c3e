"""Erasure matching on tiny DataFrames: whole-token raw-text matches, pseudonym matches, which tables qualify."""
import pytest
from pyspark.sql import functions as F
from pyspark.sql.types import LongType, StringType, StructField, StructType

from shoplake.privacy.erasure import erasure_targets
from shoplake.privacy.matching import pseudonym_condition, raw_text_condition, sql_string
from shoplake.privacy.pseudonyms import pseudonym
from shoplake.privacy.subjects import Customer, link_customer

KEY = b"unit-test-key"


def matched(spark, texts, condition):
    df = spark.createDataFrame([(t,) for t in texts], "value string")
    return [r.value for r in df.where(F.expr(condition)).collect()]


def test_raw_ids_and_emails_match_as_whole_tokens_only(spark):
    texts = [
        '{"customer_id":"u42","email":"a.b+c@shop.example"}',
        '{"customer_id":"u421"}',
        '{"customer_id":"xu42"}',
        '{"user_id":"u42-s1"}',
        'bad line, user u42 without json',
        '{"email":"za.b+c@shop.example"}',
        '{"email":"a.b+c@shop.example.org"}',
        'mail to A.B+C@shop.example?',
        '{"email":"a.b+c@shop.example"}',
    ]
    got = matched(spark, texts + ['{"customer_id":"U42"}'], raw_text_condition(["value"], {"u42"}, {"a.b+c@shop.example"}))
    assert got == [texts[0], texts[4], texts[7], texts[8]]  # ids match as written, emails in any case


def test_values_with_quotes_backslashes_and_regex_characters_match_themselves(spark):
    odd = "o'brien\\x.*(1)@mail.example"
    texts = [f'"{odd}"', '"o\'brienXx.*(1)@mail.example"', '"anything"']
    assert matched(spark, texts, raw_text_condition(["value"], {odd})) == [texts[0]]
    with pytest.raises(ValueError, match="no identifiers"):
        raw_text_condition(["value"], set(), set())
    assert matched(spark, texts, f"value = {sql_string(texts[1])}") == [texts[1]]


def test_pseudonym_condition_checks_every_identity_column(spark):
    df = spark.createDataFrame([("a", None), (None, "b"), ("c", "d"), (None, None)], "user_id string, customer_id string")
    rows = df.where(F.expr(pseudonym_condition(["user_id", "customer_id"], {"a", "b"}))).collect()
    assert {(r.user_id, r.customer_id) for r in rows} == {(None, "b"), ("a", None)}


def test_only_tables_that_can_hold_the_customer_get_a_condition():
    text = StructField("value", StringType())
    schemas = {
        "bronze.orders": StructType([text, StructField("_batch_id", LongType())]),
        "bronze.counts": StructType([StructField("n", LongType())]),
        "silver.events": StructType([StructField("user_id", StringType()), StructField("query", StringType())]),
        "gold.daily_item_sales": StructType([StructField("product_id", StringType())]),
        "gold.churn_scores": StructType([StructField("user_id", StringType()), StructField("score", LongType())]),
        "ops.erasures": StructType([StructField("subject_hash", StringType())]),
    }
    customer = Customer(frozenset({"u42"}), frozenset({"a@b.example"}))
    targets = {t.table: t for t in erasure_targets(schemas, customer, KEY, ("customer_id", "user_id"))}
    assert sorted(targets) == ["bronze.orders", "gold.churn_scores", "silver.events"]
    assert targets["bronze.orders"].columns == ("value",) and "u42" in targets["bronze.orders"].condition
    assert targets["silver.events"].columns == ("user_id",)
    assert pseudonym("u42", KEY) in targets["silver.events"].condition


def test_linking_follows_shared_emails_and_ids_to_every_identifier(spark):
    contacts = spark.createDataFrame(
        [("u1", "one@mail.example"), ("u1", "two@mail.example"), ("u2", "two@mail.example"), ("u3", "three@mail.example"),
         ("u4", None)], "customer_id string, email string")
    by_email = link_customer(contacts, set(), {" ONE@mail.example "})
    assert by_email == Customer(frozenset({"u1", "u2"}), frozenset({"one@mail.example", "two@mail.example"}))
    assert link_customer(contacts, {"u4"}, set()) == Customer(frozenset({"u4"}), frozenset())
    assert link_customer(contacts, {"nobody"}, set()) == Customer(frozenset({"nobody"}), frozenset())
