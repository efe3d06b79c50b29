"""Reports with plots: a model's behaviour by group, and a data set's audit.

:func:`model_report` reads a fitted classifier on held-out data: the group
report, a confusion matrix per group, ROC and calibration curves by group,
the training curves, and for a grid search the Pareto front with the chosen
model marked. The audit of a data set
(:func:`skfairtune.audit.audit_dataset`) is a :class:`DatasetAudit`.

Every report has the same four methods: ``to_text()``, ``to_markdown()``,
``to_html(full_page=True)`` (plots embedded) and ``write(out, name=...)``,
which writes the self-contained HTML page and the markdown summary into the
folder ``out``. :func:`write_report` is deprecated: use ``report.write``.
"""

from ._audit import DatasetAudit
from ._model import ModelReport, SearchResults, model_report, write_report
from ._search import search_table

__all__ = [
    "DatasetAudit",
    "ModelReport",
    "SearchResults",
    "model_report",
    "search_table",
    "write_report",
]
