"""Benchmarks: speed and quality targets, run by ``python -m benchmarks`` (``make bench``), not by the tests.

Every ``benchmarks/<name>.py`` module with a ``main()`` is a benchmark; each
writes its figures into its own section of ``benchmarks/RESULTS.md``.
"""
