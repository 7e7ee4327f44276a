"""One driver per system; each speaks the JSON-lines protocol of :mod:`benchmarks.peers._driver`.

A driver module runs under its system's own venv: ``python -m benchmarks.peers.<name> TASK``
with the repository root as working directory, and imports nothing from the bench venv.
"""
