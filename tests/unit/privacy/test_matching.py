"""Erasure matching on tiny DataFrames: whole-token raw-text matches, keyed-hash matches, which tables qualify."""
import base64
import json

import pytest
from pyspark.sql import functions as F
from pyspark.sql.types import LongType, StringType, StructField, StructType

from shoplake.privacy.erasure import BRONZE_ORDERS, Subject, erasure_targets, raw_identity_keys
from shoplake.privacy.matching import hashed_condition, raw_text_condition, text_of_bytes
from shoplake.privacy.pseudonyms import pseudonym
from shoplake.privacy.requests import Identities
from shoplake.privacy.subjects import Customer, link_customer

KEY = b"unit-test-key"
AUDIT_KEY = b"unit-test-audit-key"


def matched(spark, texts, condition):
    df = spark.createDataFrame([(t,) for t in texts], "value string")
    return [r.value for r in df.where(condition).collect()]


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
    got = matched(spark, texts + ['{"customer_id":"U42"}'], raw_text_condition([F.col("value")], {"u42"}, {"a.b+c@shop.example"}))
    assert got == [texts[0], texts[4], texts[7], texts[8]]  # ids match as written, emails in any case


def test_values_with_quotes_backslashes_and_regex_characters_match_themselves(spark):
    odd = "o'brien\\x.*(1)@mail.example"
    texts = [f'"{odd}"', '"o\'brienXx.*(1)@mail.example"', '"anything"']
    assert matched(spark, texts, raw_text_condition([F.col("value")], {odd})) == [texts[0]]
    with pytest.raises(ValueError, match="no identifiers"):
        raw_text_condition([F.col("value")], set(), set())


def test_the_text_inside_quarantined_bytes_is_searched(spark):
    line = '{"user_id": "u42", "name": "José", "email": "a@b.example"}'
    encoded = [base64.b64encode(line.encode(charset)).decode() for charset in ("latin-1", "utf-16-le", "utf-16")]
    texts = encoded + [base64.b64encode(b"\x1f\x8b\x08 not a gzip stream").decode(), line, "u42", "not base64!"]
    df = spark.createDataFrame([(t,) for t in texts], "value string")
    inside = [r.text for r in df.select(text_of_bytes(F.col("value")).alias("text")).collect()]
    assert inside[0] == line and all("u42" in t for t in inside[:3])  # Latin-1 as written; UTF-16 without NULs
    assert inside[4:] == [None, None, None]  # JSON and plain text are not bytes
    condition = raw_text_condition([F.col("value"), text_of_bytes(F.col("value"))], {"u42"})
    assert matched(spark, texts, condition) == encoded + [line, "u42"]


def test_hashed_condition_checks_every_column_under_its_key(spark):
    df = spark.createDataFrame([("a", None), (None, "b"), ("c", "d"), (None, None)], "user_id string, customer_id string")
    hashes = {pseudonym("a", AUDIT_KEY), pseudonym("b", AUDIT_KEY)}
    rows = df.where(hashed_condition([F.col("user_id"), F.col("customer_id")], hashes, AUDIT_KEY)).collect()
    assert {(r.user_id, r.customer_id) for r in rows} == {(None, "b"), ("a", None)}
    assert df.where(hashed_condition([F.col("user_id")], hashes, KEY)).count() == 0  # another key matches nothing
    with pytest.raises(ValueError, match="needs values and hashes"):
        hashed_condition([F.col("user_id")], set(), AUDIT_KEY)


def subject(customer, recorded=None):
    """The subject of ``recorded`` hashes (default: those of ``customer``) with ``customer``'s raw identifiers known."""
    identities = Identities.of(recorded or customer, KEY, AUDIT_KEY)
    return Subject(identities, customer, AUDIT_KEY, {"customer_id": False, "user_id": False, "email": True})


SCHEMAS = {
    "bronze.orders": StructType([StructField("value", StringType()), StructField("_batch_id", LongType())]),
    "bronze.quarantine": StructType([StructField("raw", StringType()), StructField("reason", StringType())]),
    "bronze.counts": StructType([StructField("n", LongType())]),
    "silver.events": StructType([StructField("user_id", StringType()), StructField("query", StringType())]),
    "gold.daily_item_sales": StructType([StructField("product_id", StringType())]),
    "gold.churn_scores": StructType([StructField("user_id", StringType()), StructField("score", LongType())]),
    "ops.erasures": StructType([StructField("subject_hash", StringType())]),
    "ops.erasure_requests": StructType([StructField("subject_hash", StringType())]),
}
U42 = Customer(frozenset({"u42"}), frozenset({"a@b.example"}))


def test_only_tables_that_can_hold_the_customer_get_a_condition_bronze_orders_last():
    targets = erasure_targets(SCHEMAS, subject(U42), ("customer_id", "user_id"))
    assert [t.table for t in targets] == ["gold.churn_scores", "silver.events", "bronze.quarantine", BRONZE_ORDERS]
    columns = {t.table: t.columns for t in targets}
    assert columns["bronze.orders"] == ("value",) and columns["silver.events"] == ("user_id",)
    assert columns["bronze.quarantine"] == ("raw", "reason")


def table_rows(spark, table, rows):
    return spark.createDataFrame(rows, SCHEMAS[table])


def matched_rows(spark, subject_, table, rows):
    target = {t.table: t for t in erasure_targets(SCHEMAS, subject_, ("customer_id", "user_id"))}[table]
    return [tuple(r) for r in table_rows(spark, table, rows).where(target.condition).collect()]


def test_silver_rows_match_by_the_pseudonym_of_a_recorded_id(spark):
    rows = [(pseudonym("u42", KEY), "q"), (pseudonym("u43", KEY), "q"), ("u42", "q"), (None, "u42")]
    assert matched_rows(spark, subject(U42), "silver.events", rows) == [rows[0]]


def test_bronze_lines_match_by_their_hashed_identity_fields_without_any_raw_identifier(spark):
    lines = [json.dumps({"order_id": "o1", "customer_id": "u42"}), json.dumps({"order_id": "o2", "email": " A@B.Example"}),
             json.dumps({"order_id": "o3", "customer_id": "u421", "user_id": "xu42"}), "not json u42 a@b.example"]
    nothing_known = subject(Customer(frozenset(), frozenset()), recorded=U42)  # after bronze.orders lost the link
    assert matched_rows(spark, nothing_known, BRONZE_ORDERS, [(t, 1) for t in lines]) == [(lines[0], 1), (lines[1], 1)]
    # while the raw identifiers are known, a line that is not JSON is found by its tokens too
    assert matched_rows(spark, subject(U42), BRONZE_ORDERS, [(t, 1) for t in lines]) == [
        (lines[0], 1), (lines[1], 1), (lines[3], 1)]


def test_identity_keys_of_every_contract_follow_the_shops_column_map(settings):
    from dataclasses import replace

    mapped = replace(settings, ingest=replace(settings.ingest, column_map={"orders": {"mail": "email", "buyer": "customer_id"}}))
    assert raw_identity_keys(settings) == {"user_id": False, "customer_id": False, "email": True}
    # clickstream and reviews still name customers by user_id; orders now by the shop's own keys
    assert raw_identity_keys(mapped) == {"user_id": False, "buyer": False, "mail": True}


def test_linking_follows_shared_emails_and_ids_to_every_identifier(spark):
    contacts = spark.createDataFrame(
        [("u1", "one@mail.example"), ("u1", "two@mail.example"), ("u2", "two@mail.example"), ("u3", "three@mail.example"),
         ("u4", None)], "customer_id string, email string")
    by_email = link_customer(contacts, set(), {" ONE@mail.example "})
    assert by_email == Customer(frozenset({"u1", "u2"}), frozenset({"one@mail.example", "two@mail.example"}))
    assert link_customer(contacts, {"u4"}, set()) == Customer(frozenset({"u4"}), frozenset())
    assert link_customer(contacts, {"nobody"}, set()) == Customer(frozenset({"nobody"}), frozenset())
