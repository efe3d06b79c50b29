"""The sections of a data-set audit's report (see :mod:`skfairtune.audit`)."""

from __future__ import annotations

from ._document import Plot, Section, Table, label_text, plain
from ._plots import new_figure, plot_bars, plot_heatmap

# Rows of the proxy table shown; the full ranking stays on the audit object.
TOP_PROXIES = 20


def audit_sections(audit) -> list[Section]:
    """Groups, labels, missing values and proxies, each a section."""
    return [_groups(audit), _labels(audit), _missing(audit), _proxies(audit)]


def _groups(audit) -> Section:
    groups = audit.groups
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
    figure, (left, right) = new_figure(2, width=5.0, height=0.5 * len(groups) + 1.6)
    plot_bars(groups["share"], left, title="Share of the rows", xlabel="share")
    overall = float((groups[rate] * groups["share"]).sum())
    plot_bars(groups[rate], right, title=rate.replace("_", " ").capitalize(),
              reference=overall, reference_label=f"all rows ({overall:.3f})")
    return Section("Groups", text, [Table("Representation and base rate by group", groups)],
                   [Plot("Share of the rows and base rate, by group", figure)])


def _labels(audit) -> Section:
    imbalance = audit.imbalance.to_frame("value")
    tables = [Table("Imbalance", imbalance)]
    if not audit.labels.empty:
        tables.insert(0, Table("Share of each label within each group", audit.labels,
                               highlight=["all"]))
    return Section("Labels", [], tables)


def _missing(audit) -> Section:
    if audit.missing.empty:
        return Section("Missing values", ["No feature has missing values."])
    figure, (ax,) = new_figure(1, width=7.0, height=0.4 * len(audit.missing) + 1.6)
    plot_heatmap(audit.missing, ax, title="Share missing, by group",
                 vmax=max(float(audit.missing.to_numpy().max()), 1e-9))
    text = [f"{len(audit.missing)} feature(s) have missing values; a feature missing "
            "more often in one group can stand in for the group."]
    return Section("Missing values", text,
                   [Table("Share of missing values by feature and group", audit.missing)],
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
