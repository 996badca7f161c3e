"""The table catalogue: every table named once, who writes it from what, its columns as a StructType."""
import ast
import re
from pathlib import Path

import pytest
from pyspark.sql.types import (ArrayType, BooleanType, DoubleType, LongType, MapType, StringType, StructField,
                               StructType, TimestampType)

from shoplake.catalog import (BRONZE_ORDERS, SILVER_PRODUCTS, TABLES, UnknownTable, bronze, bronze_table, gold,
                              inputs_of, ops, silver, silver_table, table, tables_of_layer, tables_written_by)
from shoplake.catalog.ddl import data_type, ddl_columns

ROOT = Path(__file__).parents[3]
TABLE_NAME = re.compile(r"^(bronze|silver|gold|ops)\.[a-z_]+$")
CATALOGUE = ROOT / "lib" / "shoplake" / "catalog"

INGEST_EVENTS = {"bronze.clickstream", "bronze.quarantine", "silver.events", "silver.sessions"}
INGEST_ORDERS = {"bronze.orders", "bronze.quarantine", "silver.orders", "silver.order_lines", "silver.customers"}
INGEST_CATALOG = {"bronze.products", "bronze.reviews", "bronze.quarantine", "silver.products", "silver.reviews"}
GOLD_BUILT = {"gold.daily_item_sales", "gold.user_item_interactions", "gold.user_features", "gold.funnel_daily"}
GOLD_SOURCES = {"silver.events", "silver.sessions", "silver.order_lines"}
ANALYSES = {"gold.funnel", "gold.funnel_steps", "gold.cohort_retention", "gold.rfm_segments", "gold.segment_summary",
            "gold.bundles", "gold.anomalies", "gold.churn_scores"}

# step or job -> (the tables it writes, the tables it reads), as the pipeline declared them by hand
STEPS = {
    "environment": (set(), set()),
    "demo_data": (set(), set()),
    "ingest_clickstream": (INGEST_EVENTS, set()),
    "ingest_orders": (INGEST_ORDERS, set()),
    "ingest_catalog": (INGEST_CATALOG, set()),
    "quality_silver": (set(), INGEST_EVENTS | INGEST_ORDERS | INGEST_CATALOG),
    "build_gold": (GOLD_BUILT, GOLD_SOURCES),
    "quality_gold": (set(), GOLD_BUILT),
    "recommend": ({"gold.recommendations", "gold.similar_items"}, {"gold.user_item_interactions"}),
    "forecast": ({"gold.forecasts", "gold.forecast_backtest"}, {"gold.daily_item_sales"}),
    "analytics": (ANALYSES, GOLD_SOURCES | {"silver.orders", "gold.user_features"}),
    "train_sentiment": ({"silver.clothing_reviews"}, {"silver.clothing_reviews"}),
    "score_reviews": ({"gold.review_sentiment", "gold.product_sentiment"}, {"silver.reviews"}),
    "train_image_model": ({"silver.fashion_mnist"}, {"silver.fashion_mnist"}),
    "embed_images": ({"gold.item_embeddings", "gold.visually_similar_items"}, {"silver.products"}),
    "privacy_check": (set(), INGEST_EVENTS | INGEST_ORDERS | INGEST_CATALOG | GOLD_BUILT | ANALYSES),
    "report": (set(), set()),
    "quality_checks": ({"ops.dq_results"}, set()),
    "erase_customer": ({"ops.erasures", "ops.erasure_list", "ops.erasure_requests"}, set()),
    "train_forecast": ({"gold.forecasts", "gold.forecast_backtest", "gold.series_forecasts",
                        "gold.series_forecast_backtest"}, {"gold.daily_item_sales"}),
    "pipeline": ({"ops.pipeline_runs"}, set()),
}
# steps that read whole layers (the tables there are, not the ones some step computes them from)
LAYER_READERS = {"quality_silver": ("bronze", "silver"), "quality_gold": ("gold",),
                 "privacy_check": ("bronze", "silver", "gold")}
# declared as read by hand, but no analysis reads it
NOT_READ = {"analytics": {"silver.orders"}}


def _table_name_constants(path: Path, root: Path = ROOT) -> list[str]:
    """``file:line: name`` of each string constant equal to a table name, other than docstrings and f-string parts."""
    tree = ast.parse(path.read_text(), str(path))
    skipped = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    skipped |= {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
    return [f"{path.relative_to(root)}:{node.lineno}: {node.value}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and TABLE_NAME.match(node.value)
            and id(node) not in skipped]


def test_no_module_outside_the_catalogue_spells_a_table_name():
    found = [hit for folder in ("lib", "bench", "jobs") for path in sorted((ROOT / folder).rglob("*.py"))
             if CATALOGUE not in path.parents for hit in _table_name_constants(path)]
    assert not found, "use the shoplake.catalog constants instead of:\n" + "\n".join(found)


def test_the_scan_finds_a_name_but_not_docstrings_or_f_string_parts(tmp_path):
    module = tmp_path / "module.py"
    module.write_text('"""Reads silver.events."""\nX = "silver.events"\n'
                      'def f(layer):\n    """gold.forecasts"""\n    return f"silver.{layer}", f"bronze.events_{layer}"\n')
    assert _table_name_constants(module, tmp_path) == ["module.py:2: silver.events"]


@pytest.mark.parametrize("step", STEPS)
def test_each_step_writes_and_reads_what_it_declared(step):
    writes, reads = STEPS[step]
    assert set(tables_written_by(step)) == writes
    if step in LAYER_READERS:
        assert reads <= {t for layer in LAYER_READERS[step] for t in tables_of_layer(layer)}
    else:
        assert set(inputs_of(step)) == reads - NOT_READ.get(step, set())


def test_inputs_are_the_inputs_of_what_a_step_writes_less_its_own_tables_in_catalogue_order():
    assert inputs_of("build_gold") == ("silver.events", "silver.sessions", "silver.order_lines")
    assert "gold.review_sentiment" not in inputs_of("score_reviews")  # read by gold.product_sentiment, written too
    assert tables_written_by("build_gold") == ("gold.daily_item_sales", "gold.user_item_interactions",
                                               "gold.user_features", "gold.funnel_daily")
    assert tables_written_by("no_such_step") == inputs_of("no_such_step") == ()


def test_every_table_is_written_by_a_known_step_from_catalogued_tables():
    for name, entry in TABLES.items():
        assert entry.written_by and set(entry.written_by) <= set(STEPS), name
        assert set(entry.inputs) | set(entry.references.values()) <= set(TABLES), name
        assert name not in entry.inputs, name


def test_each_layer_module_holds_one_constant_per_table_named_after_it():
    for module in (bronze, silver, gold, ops):
        layer = module.__name__.rsplit(".", 1)[1]
        constants = {k: v for k, v in vars(module).items() if k.startswith(layer.upper() + "_")}
        assert {v: k for k, v in constants.items()} == {t.name: t.name.replace(".", "_").upper() for t in module.TABLES}
        assert {t.layer for t in module.TABLES} == {layer}
        assert tables_of_layer(layer) == tuple(t.name for t in module.TABLES)
        assert all(TABLE_NAME.match(name) for name in constants.values())


def test_every_rule_names_only_columns_the_table_has():
    for name, entry in TABLES.items():
        used = {c for key in entry.keys for c in key} | set(entry.partition_by) | set(entry.required) \
            | set(entry.allowed) | set(entry.ranges) | set(entry.not_future) | set(entry.references) \
            | set(entry.drift_nulls) | set(entry.drift_means) | set(entry.drift_mix) \
            | ({entry.freshness} if entry.freshness else set())
        assert used <= set(entry.columns or ()), (name, used - set(entry.columns or ()))
        assert not entry.checked or entry.columns is not None, name


def test_an_unknown_table_is_a_key_error_naming_the_known_ones():
    with pytest.raises(KeyError) as raised:
        table("silver.nope")
    assert isinstance(raised.value, UnknownTable)
    assert "'silver.nope'" in str(raised.value) and "silver.events" in str(raised.value)
    assert table(SILVER_PRODUCTS).layer == "silver"


def test_source_tables_are_the_catalogued_ones_of_an_input():
    assert bronze_table("orders") == BRONZE_ORDERS
    assert silver_table("products") == SILVER_PRODUCTS
    with pytest.raises(UnknownTable, match="bronze.item_sales"):
        bronze_table("item_sales")
    with pytest.raises(UnknownTable, match="silver.clickstream"):
        silver_table("clickstream")


def test_struct_gives_the_ops_schemas_nullable_with_nested_and_map_types():
    assert table("ops.erasure_list").struct() == StructType([
        StructField("subject_hash", StringType()), StructField("kind", StringType()),
        StructField("erasure_id", StringType()), StructField("erased_at", TimestampType())])
    runs = table("ops.pipeline_runs").struct()
    assert runs["reads"] == StructField("reads", MapType(StringType(), LongType(), True), True)
    assert runs["mlflow_run_ids"] == StructField("mlflow_run_ids", ArrayType(StringType(), True), True)
    step = table("ops.erasure_requests").struct()["tables"].dataType.elementType
    assert step == StructType([StructField("table", StringType()), StructField("rows_found", LongType()),
                               StructField("done", BooleanType()), StructField("rows_deleted", LongType()),
                               StructField("table_version", LongType()), StructField("files_vacuumed", LongType())])
    assert table("ops.erasures").struct()["retention_hours"].dataType == DoubleType()


def test_struct_parses_every_table_with_columns_and_refuses_one_without():
    for entry in TABLES.values():
        if entry.columns is not None:
            assert entry.struct().fieldNames() == list(entry.columns), entry.name
    with pytest.raises(ValueError, match="gold.recommendations has no fixed columns"):
        table("gold.recommendations").struct()
    with pytest.raises(ValueError, match="unsupported column type 'decimal"):
        data_type("decimal(10,2)")
    with pytest.raises(ValueError, match="'price' has no type"):
        ddl_columns("id string, price")
