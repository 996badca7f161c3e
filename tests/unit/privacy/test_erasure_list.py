"""The erasure list on tiny inputs: it holds audit-key hashes only; listed ids and emails are dropped before
bronze, nothing else is."""
import json
from datetime import datetime

from shoplake.schemas.source_mapping import source_mapping
from shoplake.privacy.erasure_list import SCHEMA, drop_erased, erasure_list_rows
from shoplake.privacy.pseudonyms import pseudonym
from shoplake.privacy.requests import ErasureRequest, Identities
from shoplake.privacy.subjects import Customer
from shoplake.schemas import CLICKSTREAM, ORDERS, PRODUCTS

KEY = b"unit-test-audit-key"
PSEUDONYM_KEY = b"unit-test-pseudonym-key"
IDS = ("customer_id", "user_id")


def lines(spark, records):
    texts = [r if isinstance(r, str) else json.dumps(r) for r in records]
    return spark.createDataFrame([(t, f"file:/in/part-{i}.json") for i, t in enumerate(texts)],
                                 "value string, _source_file string")


def erased(spark, *values):
    return spark.createDataFrame([(pseudonym(v, KEY), "x", "e1", None) for v in values], SCHEMA)


def kept(df):
    return sorted(r.value for r in df.collect())


def test_orders_of_an_erased_id_or_email_are_dropped_and_others_kept(spark):
    records = [
        {"order_id": "o1", "customer_id": "u1", "email": "one@mail.example"},
        {"order_id": "o2", "customer_id": "u9", "email": "  One@Mail.Example "},  # same email, other id
        {"order_id": "o3", "customer_id": "u2", "email": "two@mail.example"},
        {"order_id": "o4", "customer_id": None, "email": None},
        "not json u1 one@mail.example",
    ]
    raw = lines(spark, records)
    out = drop_erased(raw, erased(spark, "u1", "one@mail.example"), ORDERS, KEY, IDS)
    assert kept(out) == sorted([json.dumps(records[2]), json.dumps(records[3]), records[4]])
    assert out.columns == raw.columns


def test_a_shops_own_column_names_are_honoured(spark):
    records = [{"event_id": "e1", "visitor": "u1"}, {"event_id": "e2", "visitor": "u2"}]
    mapping = source_mapping("clickstream", {"columns": {"user_id": "visitor"}})
    out = drop_erased(lines(spark, records), erased(spark, "u1"), CLICKSTREAM, KEY, IDS, mapping)
    assert kept(out) == [json.dumps(records[1])]


def test_sources_without_identities_and_an_empty_list_change_nothing(spark):
    products = lines(spark, [{"product_id": "p1", "title": "u1"}])
    assert kept(drop_erased(products, erased(spark, "u1"), PRODUCTS, KEY, IDS)) == kept(products)
    events = lines(spark, [{"event_id": "e1", "user_id": "u1"}])
    assert kept(drop_erased(events, erased(spark), CLICKSTREAM, KEY, IDS)) == kept(events)


def test_list_entries_are_the_requests_audit_key_hashes_of_ids_and_emails(spark):
    customer = Customer(frozenset({"u1", "u9"}), frozenset({"one@mail.example"}))
    request = ErasureRequest.new("email", "h", Identities.of(customer, PSEUDONYM_KEY, KEY), {}, datetime(2024, 1, 1))
    rows = erasure_list_rows(spark, request, datetime(2024, 1, 2)).collect()
    assert sorted((r.subject_hash, r.kind) for r in rows) == sorted(
        [(pseudonym("u1", KEY), "customer_id"), (pseudonym("u9", KEY), "customer_id"),
         (pseudonym("one@mail.example", KEY), "email")])
    assert {r.erasure_id for r in rows} == {request.erasure_id}
    # the pseudonyms silver holds are not on the list: with the pseudonym key alone it names nobody
    assert not {pseudonym(i, PSEUDONYM_KEY) for i in customer.ids} & {r.subject_hash for r in rows}


def test_lines_are_matched_under_the_key_given_only(spark):
    events = lines(spark, [{"event_id": "e1", "user_id": "u1"}])
    listed_under_other_key = spark.createDataFrame([(pseudonym("u1", PSEUDONYM_KEY), "x", "e1", None)], SCHEMA)
    assert kept(drop_erased(events, listed_under_other_key, CLICKSTREAM, KEY, IDS)) == kept(events)
