"""The tasks of `evaluate.py`, one module per task (`run_<task>(args, spec, ctx, log)`), and `runner.TASK_RUNNERS`,
the one table of tasks."""
