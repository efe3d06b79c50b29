"""Bundled real data sets: the classic tabular fairness benchmarks.

The raw files ship inside the package, gzipped, so that examples, tests and
benchmarks run with no network. Each loader returns a
:class:`~sklearn.utils.Bunch` with ``data``, ``target``, ``sensitive``,
``frame``, ``feature_names``, ``target_names`` and ``DESCR``, as
scikit-learn's loaders do, plus the sensitive attribute.

:func:`make_colored_digits` builds an image task with a spurious colour from
scikit-learn's own bundled digits, for demonstrations of fine-tuning a
network on another modality.
"""

from ._adult import load_adult
from ._colored_digits import make_colored_digits
from ._compas import load_compas
from ._german import load_german

__all__ = ["load_adult", "load_compas", "load_german", "make_colored_digits"]
