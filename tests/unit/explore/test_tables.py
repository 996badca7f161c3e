"""Table names checked against the catalogue, and versions listed as runs."""
from __future__ import annotations

import pytest

from shoplake.catalog import SILVER_ORDERS, tables_of_layer
from shoplake.explore.errors import ExploreError
from shoplake.explore.tables import catalogued, spans


def test_a_catalogued_name_passes_and_an_unknown_one_names_its_layers_tables():
    assert catalogued(SILVER_ORDERS) == SILVER_ORDERS
    with pytest.raises(ExploreError) as raised:
        catalogued("silver.order")
    silver = ", ".join(tables_of_layer("silver"))
    assert str(raised.value) == f"no table 'silver.order' in the catalogue; silver tables: {silver}"
    assert SILVER_ORDERS in str(raised.value) and "gold." not in str(raised.value)


def test_a_name_without_a_known_layer_names_the_layers():
    with pytest.raises(ExploreError, match=r"^no table 'orders' in the catalogue; tables are named layer.name, "
                                           r"layers: bronze, silver, gold, ops$"):
        catalogued("orders")


def test_versions_are_listed_as_sorted_runs():
    assert spans([3, 0, 1, 2, 7, 5, 8, 2]) == "0-3, 5, 7-8"
    assert spans([4]) == "4"
    assert spans([]) == ""
