"""Reports with plots: a model's behaviour by group, and a data set's audit.

:func:`model_report` reads a fitted classifier on held-out data: the group
report, a confusion matrix per group, ROC and calibration curves by group,
the training curves, and for a grid search the Pareto front with the chosen
model marked. :func:`write_report` writes it as one self-contained HTML file
(plots embedded) and a markdown summary. The audit of a data set
(:func:`skfairtune.audit.audit_dataset`) is a :class:`DatasetAudit`, which
renders with the same machinery.
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
