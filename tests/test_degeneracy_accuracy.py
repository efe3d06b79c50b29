"""The degeneracy rule's accuracy is scikit-learn's, without its input checks."""

import numpy as np
import pytest
from sklearn.metrics import accuracy_score

from skfairtune._degeneracy import majority_reason


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("seed", range(5))
def test_majority_reason_compares_scikit_learn_s_accuracies(seed, weighted):
    rng = np.random.default_rng(seed)
    true = rng.integers(0, 3, 200)
    # Mostly the majority class, a few right answers elsewhere: near the rule's edge.
    pred = np.where(rng.random(200) < 0.3, true, np.bincount(true).argmax())
    weight = rng.random(200) if weighted else None
    majority = np.full_like(true, np.bincount(true, weights=weight).argmax())
    score = accuracy_score(true, pred, sample_weight=weight)
    baseline = accuracy_score(true, majority, sample_weight=weight)
    reason = majority_reason(true, pred, weight)
    assert (reason is not None) == (score <= baseline)
    if reason is not None:
        assert f"accuracy {score:.3f} against {baseline:.3f}" in reason
