"""Ops: the lake's own records of what ran on it: pipeline steps, data-quality results, erasures."""
from __future__ import annotations

from shoplake.catalog.ddl import ddl_columns
from shoplake.catalog.table import Table

OPS_PIPELINE_RUNS = "ops.pipeline_runs"
OPS_DQ_RESULTS = "ops.dq_results"
OPS_ERASURES = "ops.erasures"
OPS_ERASURE_LIST = "ops.erasure_list"
OPS_ERASURE_REQUESTS = "ops.erasure_requests"

TABLES = (
    Table(
        OPS_PIPELINE_RUNS, "per pipeline run and step: table versions read and written, MLflow runs, outcome",
        columns=ddl_columns("pipeline_run_id string, step string, status string, started_at timestamp, "
                            "seconds double, reads map<string,bigint>, writes map<string,bigint>, "
                            "mlflow_run_ids array<string>, figures map<string,string>, error string"),
        written_by=("pipeline",),
    ),
    # The pipeline's quality steps append here too; they do not list it among their outputs, since a
    # step's outputs must change only when that step runs (see shoplake.pipeline.dag).
    # success is null for a check skipped (a reference to a table the lake does not have); reference_versions
    # holds, for a referential check, the version each referenced table had (null: it did not exist). It was
    # added later: rows written before have it null, and appending adds it to the table.
    Table(
        OPS_DQ_RESULTS, "one row per check of a table version in a data-quality run",
        columns=ddl_columns("run_id string, checked_at timestamp, table string, table_version bigint, check string, "
                            "kind string, expectation string, column string, severity string, success boolean, "
                            "observed_value string, details string, table_seconds double, "
                            "reference_versions map<string,bigint>"),
        partition_by=("table",),
        written_by=("quality_checks",),
    ),
    Table(
        OPS_ERASURES, "the audit of carried-out erasures: per request and table, rows deleted and files vacuumed",
        columns=ddl_columns("erasure_id string, erased_at timestamp, subject_kind string, subject_hash string, "
                            "identifiers bigint, table string, rows_deleted bigint, table_version bigint, "
                            "files_vacuumed bigint, retention_hours double"),
        written_by=("erase_customer",),
    ),
    Table(
        OPS_ERASURE_LIST, "audit-key hashes of erased customers' ids and emails, dropped at ingest",
        columns=ddl_columns("subject_hash string, kind string, erasure_id string, erased_at timestamp"),
        keys=(("subject_hash",),),
        written_by=("erase_customer",),
    ),
    Table(
        OPS_ERASURE_REQUESTS, "erasure requests: the subject's hashes and each table's progress, pending or done",
        columns=ddl_columns("erasure_id string, subject_kind string, subject_hash string, id_hashes array<string>, "
                            "email_hashes array<string>, pseudonym_hashes array<string>, "
                            "tables array<struct<table:string,rows_found:bigint,done:boolean,rows_deleted:bigint,"
                            "table_version:bigint,files_vacuumed:bigint>>, "
                            "status string, requested_at timestamp, updated_at timestamp"),
        keys=(("erasure_id",),),
        written_by=("erase_customer",),
    ),
)
