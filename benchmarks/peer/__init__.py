"""The peer for benchmarks.pipeline: a model django-import-export imports the contacts CSV into.

Installed only inside the benchmark's child processes (never in propel_admin.settings).
"""
