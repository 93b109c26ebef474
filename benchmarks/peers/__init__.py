"""accel beside its peers (SCALE-Sim 3, ZigZag, Timeloop) on the same work: ``make peers``, not part of ``make test``.

Each ``vs_*`` module compares one peer and writes its section of
``benchmarks/RESULTS.md``; the peers run in side venvs under ``build/peers``
(``_*_runner.py`` files run there and import only the peer and the standard
library).
"""
