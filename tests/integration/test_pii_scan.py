"""The pipeline's PII check on real tables: the demo shop's silver and gold are clean; a table that leaks
emails, phone numbers and names taken from bronze fails the check with table, column and count."""
import shutil
from dataclasses import replace

import pytest
from pyspark.sql import functions as F

from shoplake.lake import open_lake
from shoplake.privacy.errors import PiiFound
from shoplake.privacy.pii_scan import check_no_pii
from shoplake.privacy.all_tables import lake_tables

pytestmark = pytest.mark.slow


def test_the_demo_shop_holds_no_pii_outside_bronze(demo_shop):
    lake, settings = demo_shop["lake"], demo_shop["settings"]
    scanned = lake_tables(lake, ["silver", "gold"])
    assert {"silver.orders", "silver.customers", "silver.events", "silver.reviews", "gold.user_features"} <= set(scanned)
    assert check_no_pii(lake, settings) == {"tables_scanned": len(scanned)}


def test_leaked_contact_fields_fail_the_check_naming_table_column_and_count(spark, demo_shop, tmp_path):
    settings = replace(demo_shop["settings"], lake=replace(demo_shop["settings"].lake, root=str(tmp_path / "lake")))
    lake = open_lake(spark, settings)
    shutil.copytree(demo_shop["lake"].path("bronze.orders"), lake.path("bronze.orders"))
    raw = lake.read("bronze.orders").select(*[F.get_json_object("value", f"$.{k}").alias(k) for k in (
        "order_id", "email", "phone", "name")]).dropna().limit(40)
    lake.overwrite(raw.select("order_id", F.col("email").alias("contact"), "phone"), "silver.order_contacts")
    lake.overwrite(raw.select("order_id", F.upper("name").alias("buyer")), "gold.order_buyers")
    lake.overwrite(raw.select("order_id", F.lit("free text").alias("note")), "gold.clean")
    with pytest.raises(PiiFound) as caught:
        check_no_pii(lake, settings)
    found = {(f.table, f.column, f.kind): f.values for f in caught.value.findings}
    assert found == {("silver.order_contacts", "contact", "email"): 40, ("silver.order_contacts", "phone", "phone"): 40,
                     ("gold.order_buyers", "buyer", "name"): 40}
    message = str(caught.value)
    assert "silver.order_contacts.contact: 40 email value(s)" in message and "gold.order_buyers.buyer: 40 name" in message
    assert "@" not in message  # the values themselves are never repeated
