"""The PII scan on tiny tables: emails, phones and customer names are found per table and column; ids,
hashes, timestamps, IPs, user agents and review text are not."""
import json

from shoplake.schemas.source_mapping import source_mapping
from shoplake.privacy.pii_scan import known_names, pii_counts, text_cells
from shoplake.privacy.pseudonyms import pseudonym

NOT_PII = [
    "u00000065", "o00000-0003-00000", "e00001-0003-0000000", "s00001-0003-000010", "p000140",
    pseudonym("u00000065", b"k"), "2024-01-04", "2024-01-04T05:42:13.436Z", "32.157.43.73", "inbox.example.net",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Love this dress, ordered a size 10 and it fits. 5 stars from Ada!", "1,234.56", "+1", "version 1.2.3",
]
EMAILS = ["tara.zhang65@inbox.example.net", "a+b@x.co", "Contact: J.Doe@Mail.Example.org please"]
PHONES = ["+1-871-555-5497", "(871) 555-5497", "+44 20 7946 0958", "871.555.5497", "call 871-555-5497 now"]


def findings(spark, settings, tables, names):
    cells = text_cells({name: spark.createDataFrame([(v,) for v in values], "value string")
                        for name, values in tables.items()})
    rows = pii_counts(cells, names, settings.privacy.email_pattern, settings.privacy.phone_pattern).collect()
    return {(r.table, r.column, r.kind): r.values for r in rows}


def test_each_kind_is_counted_per_table_and_column(spark, settings):
    bronze = spark.createDataFrame([(json.dumps({"name": n}),) for n in ("Tara Zhang", "Ada Adams", None)], "value string")
    names = known_names(bronze)
    found = findings(spark, settings, {"silver.a": EMAILS + NOT_PII, "gold.b": PHONES + [" tara zhang "] + NOT_PII,
                                       "silver.clean": NOT_PII}, names)
    assert found == {("silver.a", "value", "email"): 3, ("gold.b", "value", "phone"): 5, ("gold.b", "value", "name"): 1}


def test_only_string_columns_are_scanned_and_nulls_are_skipped(spark):
    df = spark.createDataFrame([(1, None, "x", b"a@b.example")], "n int, s string, t string, b binary")
    cells = text_cells({"silver.t": df, "gold.numbers": df.select("n")})
    assert sorted((r.table, r.column, r.value) for r in cells.collect()) == [("silver.t", "t", "x")]
    assert text_cells({"gold.numbers": df.select("n")}) is None


def test_names_come_from_the_raw_orders_under_the_shops_own_key(spark):
    bronze = spark.createDataFrame([('{"full_name": " Ada Adams "}',), ('{"full_name": ""}',), ("not json",)], "value string")
    assert [r.name for r in known_names(bronze, source_mapping("orders", renames={"full_name": "name"})).collect()] == ["ada adams"]
