"""The estimators' tags, with their expected failures of scikit-learn's checks.

scikit-learn (>= 1.6) takes expected failures as an argument of
``parametrize_with_checks``; we keep them in the tags, each with its reason,
so that they live beside the estimator and the test reads them from there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sklearn.utils import Tags

_SGD_REASON = (
    "A network trained by mini-batch SGD from a random start cannot make "
    "integer sample weights exactly equal to repeated rows: the batches differ."
)
EXPECTED_FAILED_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data": _SGD_REASON,
    "check_sample_weight_equivalence_on_sparse_data": _SGD_REASON,
}


@dataclass
class FairTuneTags(Tags):
    """scikit-learn's tags, plus the checks expected to fail and why."""

    expected_failed_checks: dict = field(default_factory=dict)


def with_expected_failures(tags: Tags, estimator) -> FairTuneTags:
    """Copy scikit-learn's tags and add our expected failures."""
    fields = {name: getattr(tags, name) for name in tags.__dataclass_fields__}
    return FairTuneTags(**fields, expected_failed_checks=dict(EXPECTED_FAILED_CHECKS))
