"""One step function per job: what ``jobs/<name>.py`` runs and what the pipeline lists.

A step takes a :class:`~shoplake.steps.context.StepContext` (session, settings, the lake, the job's
options) and returns a :class:`~shoplake.steps.context.StepOutcome` (the table versions it read and
wrote, its figures, the MLflow runs it created). The same function runs under ``spark-submit.sh``,
``shoplake run`` and the pipeline.
"""
