"""Bundled real data sets: the classic tabular fairness benchmarks.

The raw files ship inside the package, gzipped, so that examples, tests and
benchmarks run with no network. Each loader returns a
:class:`~sklearn.utils.Bunch` with ``data``, ``target``, ``sensitive``,
``frame``, ``feature_names``, ``target_names`` and ``DESCR``, as
scikit-learn's loaders do, plus the sensitive attribute.
"""

from ._adult import load_adult
from ._compas import load_compas
from ._german import load_german

__all__ = ["load_adult", "load_compas", "load_german"]
