"""A data set's audit as a report (computed by :mod:`skfairtune.audit`).

:class:`DatasetAudit` holds the audit's tables and renders them, with plots,
the way the model report renders. With many groups the tables keep the
largest ones and the plots fewer still, each section saying what it left
out; the audit object keeps every row.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._deprecation import deprecated
from .._labels import label_text, plain
from ._document import (
    MAX_TABLE_ROWS,
    Document,
    Plot,
    Section,
    Table,
    largest,
    left_out,
)
from ._plots import MAX_BARS, new_figure, plot_bars, plot_heatmap
from ._rendered import Rendered

# Rows of the proxy table shown; the full ranking stays on the audit object.
TOP_PROXIES = 20


@dataclass
class DatasetAudit(Rendered):
    """The findings of :func:`~skfairtune.audit.audit_dataset`.

    Like every report it renders as text (:meth:`to_text`, also ``str``),
    markdown (:meth:`to_markdown`) and HTML with its plots (:meth:`to_html`,
    or inline in a notebook), and :meth:`write` writes ``audit.html`` and
    ``audit.md`` into a folder; :meth:`plot` returns its figures. With many
    groups the rendered tables show the 50 largest and the plots the 20
    largest, each saying how many it left out; the attributes keep every
    group.

    Attributes
    ----------
    groups : pandas.DataFrame
        One row per group: ``count``, ``share`` of the rows, ``base_rate``
        (share of the positive label; ``mean_target`` for a continuous
        target) and ``rows_with_missing`` (share of rows with a missing value).
    labels : pandas.DataFrame
        Share of each class within each group, and over all rows (``"all"``).
    imbalance : pandas.Series
        ``minority_class_share``, ``imbalance_ratio`` (largest over smallest
        class), ``representation_ratio`` (smallest over largest group), and
        the gap between the groups' base rates (``base_rate_difference`` and
        ``base_rate_ratio``, the demographic parity of the labels themselves).
    missing : pandas.DataFrame
        Share of missing values of each feature that has any, by group and
        over all rows.
    proxies : pandas.DataFrame
        One row per feature, strongest proxy first: ``auc`` (cross-validated
        ROC AUC of predicting the group from that feature alone; 0.5 is no
        information, 1 a perfect proxy), ``kind`` and ``n_values``.
    sensitive_names : list of str
        The sensitive column(s).
    target_name : str
        The target's name.
    positive_label : object
        The label whose share is the base rate (None for a continuous target).
    """

    groups: pd.DataFrame
    labels: pd.DataFrame
    imbalance: pd.Series
    missing: pd.DataFrame
    proxies: pd.DataFrame
    sensitive_names: list
    target_name: str = "target"
    positive_label: Any = None

    _default_name = "audit"

    def document(self) -> Document:
        """The audit as a report document (tables and plots)."""
        who = " × ".join(self.sensitive_names)
        n_rows = int(self.groups["count"].sum())
        return Document(
            title=f"Data set audit: {who}",
            subtitle=f"{n_rows:,} rows, {len(self.groups)} groups, "
                     f"target {self.target_name!r}",
            sections=audit_sections(self),
        )

    @deprecated("DatasetAudit.write_html",
                "DatasetAudit.write(out, name=...), which writes <name>.html and <name>.md "
                "into the folder out")
    def write_html(self, path: str | Path) -> Path:
        """Write the audit as a self-contained HTML page.

        .. deprecated:: 0.1.0
            Use :meth:`write`, the method every report has: it writes the
            same page, and the markdown beside it, into a folder.

        Parameters
        ----------
        path : str or Path
            The file to write.

        Returns
        -------
        Path
        """
        path = Path(path)
        path.write_text(self.to_html(), encoding="utf-8")
        return path

    def plot(self) -> list:
        """The audit's figures: groups, proxies and, where any, missing values.

        Returns
        -------
        list of matplotlib.figure.Figure
        """
        return [p.figure for s in self.document().sections for p in s.plots]


def audit_sections(audit) -> list[Section]:
    """Groups, labels, missing values and proxies, each a section."""
    return [_groups(audit), _labels(audit), _missing(audit), _proxies(audit)]


def _groups(audit) -> Section:
    groups = audit.groups
    counts = groups["count"].to_numpy()
    rows, bars = largest(counts, MAX_TABLE_ROWS), largest(counts, MAX_BARS)
    smallest = groups["share"].idxmin()
    text = [f"The smallest group, {_name(smallest)}, holds {groups['share'].min():.1%} "
            f"of the rows; the largest, {_name(groups['share'].idxmax())}, "
            f"{groups['share'].max():.1%}."]
    rate = "base_rate" if "base_rate" in groups else "mean_target"
    if rate == "base_rate":
        text.append(
            f"The base rate (share of label {plain(audit.positive_label)!r}) ranges from "
            f"{groups[rate].min():.3f} to {groups[rate].max():.3f}: a model that "
            "matches the labels exactly has a demographic parity difference of "
            f"{audit.imbalance['base_rate_difference']:.3f}."
        )
    text += left_out(counts, {"table shows": len(rows), "plots show": len(bars)},
                     holder="audit.groups")
    figure, (left, right) = new_figure(2, width=5.0, height=0.5 * len(bars) + 1.6)
    plot_bars(groups["share"].iloc[bars], left, title="Share of the rows", xlabel="share")
    overall = float((groups[rate] * groups["share"]).sum())
    plot_bars(groups[rate].iloc[bars], right, title=rate.replace("_", " ").capitalize(),
              reference=overall, reference_label=f"all rows ({overall:.3f})")
    return Section("Groups", text, [Table("Representation and base rate by group",
                                          groups.iloc[rows])],
                   [Plot("Share of the rows and base rate, by group", figure)])


def _labels(audit) -> Section:
    imbalance = audit.imbalance.to_frame("value")
    tables = [Table("Imbalance", imbalance)]
    text = []
    if not audit.labels.empty:
        counts = audit.groups["count"].to_numpy()
        rows = largest(counts, MAX_TABLE_ROWS)
        overall = audit.labels.iloc[-1].to_numpy()  # the "all" row
        columns = largest(overall, MAX_TABLE_ROWS)
        shares = audit.labels.iloc[np.append(rows, len(counts)), columns]
        text += left_out(counts, {"table shows": len(rows)}, holder="audit.labels")
        text += left_out(overall * counts.sum(), {"table shows": len(columns)},
                         holder="audit.labels", noun="labels", by="most frequent")
        tables.insert(0, Table("Share of each label within each group", shares,
                               highlight=["all"]))
    return Section("Labels", text, tables)


def _missing(audit) -> Section:
    missing = audit.missing
    if missing.empty:
        return Section("Missing values", ["No feature has missing values."])
    counts = audit.groups["count"].to_numpy()
    rows, columns = largest(counts, MAX_TABLE_ROWS), largest(counts, MAX_BARS)
    every = len(counts)  # the last column, "all"
    shown = missing.iloc[:MAX_BARS, np.append(columns, every)]
    figure, (ax,) = new_figure(1, width=7.0, height=0.4 * len(shown) + 1.6)
    plot_heatmap(shown, ax, title="Share missing, by group",
                 vmax=max(float(shown.to_numpy().max()), 1e-9))
    text = [f"{len(missing)} feature(s) have missing values; a feature missing "
            "more often in one group can stand in for the group."]
    text += left_out(missing.iloc[:, -1].to_numpy(),
                     {"table shows": MAX_TABLE_ROWS, "plot shows": MAX_BARS},
                     holder="audit.missing", noun="features with missing values",
                     by="most often missing", unit=None)
    text += left_out(counts, {"table shows": len(rows), "plot shows": len(columns)},
                     holder="audit.missing")
    table = missing.iloc[:MAX_TABLE_ROWS, np.append(rows, every)]
    return Section("Missing values", text,
                   [Table("Share of missing values by feature and group", table)],
                   [Plot("Missing values by feature and group", figure)])


def _proxies(audit) -> Section:
    proxies = audit.proxies
    if proxies.empty:
        return Section("Proxies", ["No proxy ranking: it needs two groups of two rows or "
                                   "more, and a feature besides the sensitive one(s)."])
    text = ["How well each feature alone predicts the group, as the cross-validated "
            "ROC AUC of the group frequencies within its values (quantile bins for "
            "numbers): 0.5 means the feature says nothing about the group, 1.0 that it "
            "gives the group away. Dropping the sensitive column does not hide the group "
            "from a model while strong proxies remain."]
    top = proxies.head(TOP_PROXIES)
    figure, (ax,) = new_figure(1, width=7.0, height=0.32 * len(top) + 1.4)
    plot_bars(top["auc"], ax, title="Proxy strength (AUC)", xlabel="AUC",
              reference=0.5, reference_label="no information")
    ax.set_xlim(0.4, 1.0)
    caption = "Features ranked by how well each predicts the group"
    if len(proxies) > TOP_PROXIES:
        caption += f" (top {TOP_PROXIES} of {len(proxies)})"
    return Section("Proxies of the sensitive attribute", text, [Table(caption, top)],
                   [Plot("Proxy strength of the strongest features", figure)])


def _name(label) -> str:
    return repr(label_text(label) if isinstance(label, tuple) else plain(label))
