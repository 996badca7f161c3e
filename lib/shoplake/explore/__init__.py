"""Reading the lake from the command line, without writing Spark code.

``shoplake show TABLE`` prints a table's rows (at a version with ``--version``), ``shoplake sql
"SELECT ..."`` runs one Spark SQL query over the tables by their catalogue names, ``shoplake export
TABLE`` writes a table to a local CSV or Parquet folder. All three read through
:class:`~shoplake.lake.Lake`, so both Delta backends serve them; :mod:`~shoplake.explore.cli` adds
the verbs to the ``shoplake`` command.
"""
