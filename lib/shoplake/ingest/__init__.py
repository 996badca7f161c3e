"""Ingest: input files to bronze (as received), quarantine (bad records with a reason) and silver
(typed, de-duplicated, pseudonymous), exactly once per micro-batch."""
