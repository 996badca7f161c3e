"""``shoplake sql``: one Spark SQL query over the lake's tables, each named as in the catalogue.

Spark's temporary views take one-part names only (``TEMP_VIEW_NAME_TOO_MANY_NAME_PARTS``), and a
two-part name finds a view only in ``global_temp``. So each table the query names becomes a
temporary view called ```silver.orders``` (one quoted identifier: the table's name), and the
query's unquoted references to catalogued tables are quoted before Spark parses it:
``FROM silver.orders o`` runs as ``FROM `silver.orders` o``; text in quotes and comments is left
as written. Only the tables the query names are read (at their latest version); one the lake does
not hold yet stops the query with its name. The text must be one query (``SELECT``, ``WITH``,
``VALUES``, ``TABLE``): nothing that writes or changes settings runs.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Collection

from pyspark.errors import AnalysisException, ParseException
from pyspark.errors.exceptions.captured import capture_sql_exception
from pyspark.logger import PySparkLogger
from pyspark.sql import DataFrame, SparkSession

from shoplake.catalog import TABLES, tables_of_layer
from shoplake.errors import exception_line
from shoplake.explore.errors import ExploreError
from shoplake.explore.tables import read_at
from shoplake.lake import LAYERS, Lake

# string literals and comments (kept as written), quoted identifiers, and unquoted `part.part` names
_TOKENS = re.compile(
    r"(?P<kept>'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"|--[^\n]*|/\*.*?\*/)"
    r"|`(?P<quoted>(?:``|[^`])*)`"
    r"|(?<![\w.])(?P<first>[A-Za-z_]\w*)\s*\.\s*(?P<second>[A-Za-z_]\w*)",
    re.DOTALL,
)
# PySpark logs each SQL error with its JVM stack trace; here it reaches the user as one line instead
_SPARK_ERROR_LOGGERS = ("SQLQueryContextLogger", "DataFrameQueryContextLogger")


def quote_tables(sql: str, tables: Collection[str]) -> tuple[str, list[str]]:
    """``sql`` with each unquoted ``layer.name`` that is in ``tables`` written as the identifier ```layer.name```,
    and the tables it names (quoted or not, lower case, in order of appearance, each once)."""
    named: list[str] = []

    def quote(found: re.Match) -> str:
        if found["kept"] is not None:
            return found[0]
        name = (found["quoted"] if found["quoted"] is not None else f"{found['first']}.{found['second']}").lower()
        if name not in tables:
            return found[0]
        if name not in named:
            named.append(name)
        return f"`{name}`"

    return _TOKENS.sub(quote, sql), named


def run_query(lake: Lake, sql: str) -> tuple[DataFrame, dict[str, int]]:
    """The result of query ``sql`` over the lake's tables, and the version of each table it read.

    An :class:`ExploreError` (Spark's message, one line) for a syntax error, a statement that is
    not a query, or a name Spark cannot resolve.
    """
    for name in _SPARK_ERROR_LOGGERS:
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)
    text, named = quote_tables(sql.strip().rstrip(";").strip(), TABLES)
    _require_one_query(lake.spark, text)
    versions = {}
    for name in named:
        df, versions[name] = read_at(lake, name)
        df.createOrReplaceTempView(f"`{name}`")
    try:
        return lake.spark.sql(text), versions
    except AnalysisException as exc:
        raise ExploreError(_analysis_message(exc)) from None


def _require_one_query(spark: SparkSession, text: str) -> None:
    """Parse ``text`` as one query with the session's parser; Spark's syntax error, or a refusal of other statements."""
    parser = spark._jsparkSession.sessionState().sqlParser()
    try:
        capture_sql_exception(parser.parseQuery)(text)
    except ParseException as exc:
        try:
            capture_sql_exception(parser.parsePlan)(text)
        except ParseException:
            raise ExploreError(exception_line(exc)) from None
        raise ExploreError(f"not a query: {text[:60]} (only SELECT, WITH, VALUES or TABLE queries run)") from None


def _analysis_message(exc: AnalysisException) -> str:
    """Spark's message in one line; for a table it cannot find, which tables there are."""
    if exc.getCondition() != "TABLE_OR_VIEW_NOT_FOUND":
        return exception_line(exc)
    name = (exc.getMessageParameters() or {}).get("relationName", "").replace("`", "")
    layer = name.split(".", 1)[0]
    known = (f"{layer} tables: {', '.join(tables_of_layer(layer))}" if layer in LAYERS
             else f"tables are named layer.name, layers: {', '.join(LAYERS)}")
    return f"the query names {name}, which is not a table of the lake; {known}"
