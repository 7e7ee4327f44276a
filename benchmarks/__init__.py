"""Benchmarks of riverhost against the Python PostgreSQL job queues; run ``nox -s bench``.

Nothing here is part of the test suite. :mod:`benchmarks.bench` orchestrates a sitting,
:mod:`benchmarks.peers` holds one driver per system (each run by that system's own venv), and
:mod:`benchmarks.report` turns the results into a table, JSON, markdown and a chart.
"""
