"""The query text Spark runs: catalogued ``layer.name`` references become the quoted names of their views."""
from __future__ import annotations

from shoplake.catalog import GOLD_USER_FEATURES, SILVER_ORDERS, SILVER_PRODUCTS
from shoplake.explore.query import quote_tables

KNOWN = {SILVER_ORDERS, SILVER_PRODUCTS, GOLD_USER_FEATURES}


def test_table_references_are_quoted_and_listed_once_in_order():
    text, named = quote_tables(
        "SELECT o.order_id, silver.orders.status FROM silver.orders o "
        "JOIN Silver . Products p ON p.product_id = o.order_id JOIN gold.user_features u ON true", KNOWN)
    assert text == ("SELECT o.order_id, `silver.orders`.status FROM `silver.orders` o "
                    "JOIN `silver.products` p ON p.product_id = o.order_id JOIN `gold.user_features` u ON true")
    assert named == [SILVER_ORDERS, SILVER_PRODUCTS, GOLD_USER_FEATURES]


def test_strings_comments_columns_and_unknown_names_stay_as_written():
    sql = ("SELECT 'silver.orders' AS a, \"it\\\"s silver.orders\" AS b, o.status, silver.nothing.x -- silver.orders\n"
           "FROM /* gold.user_features */ x.silver.orders o, silver.nothing")
    assert quote_tables(sql, KNOWN) == (sql, [])


def test_an_already_quoted_table_is_listed_and_kept():
    text, named = quote_tables("SELECT * FROM `silver.orders` JOIN `other` USING (id)", KNOWN)
    assert text == "SELECT * FROM `silver.orders` JOIN `other` USING (id)"
    assert named == [SILVER_ORDERS]
