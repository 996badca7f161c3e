"""Ingest: input files to bronze (as received), quarantine (bad records with a reason), silver
(typed, de-duplicated, pseudonymous) and gold (aggregates), exactly once per micro-batch."""
