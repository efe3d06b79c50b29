"""skfairtune's benchmarks: scripts run as ``python benchmarks/<name>.py``.

A package so that a benchmark can import another's helpers
(``from benchmarks.tradeoff import load_split``) both when it runs as a
script and when it is imported (``python -m benchmarks.<name>``, the tests).
Not part of the installed package.
"""
