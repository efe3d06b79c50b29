"""The task objects: what differs between binary, multiclass and regression, said once."""

import pickle
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

import skfairtune
from skfairtune import FairTuneClassifier, FairTuneRegressor
from skfairtune._attribution import network_score
from skfairtune._tasks import BINARY, MULTICLASS, REGRESSION, get_task
from skfairtune.estimators._budget import HeldOut, hard_gap
from skfairtune.metrics import demographic_parity_difference, equalized_odds_difference
from skfairtune.penalties import NotionPenalty


def test_a_task_is_named_and_sized_by_its_outputs():
    assert get_task("classification") is BINARY
    assert get_task("classification", 2) is BINARY
    assert get_task("classification", 3) is MULTICLASS
    assert get_task(MULTICLASS, 2) is BINARY
    assert get_task("regression", 3) is REGRESSION
    assert MULTICLASS.name == BINARY.name == "classification"
    with pytest.raises(ValueError, match=r"Unknown task 'ranking'.*'regression'"):
        get_task("ranking")


def test_tasks_unpickle_as_themselves():
    for task in (BINARY, MULTICLASS, REGRESSION):
        assert pickle.loads(pickle.dumps(task)) is task


def test_a_single_logit_is_read_as_the_logits_zero_and_itself():
    z = torch.tensor([[-1.0], [2.0]])
    logits = BINARY.layout(z)
    assert torch.equal(logits, torch.tensor([[0.0, -1.0], [0.0, 2.0]]))
    assert torch.allclose(BINARY.scores(logits)[:, 1], torch.sigmoid(z[:, 0]))
    assert BINARY.predictions(logits).tolist() == [0, 1]
    # A regressor's vector is one column, whatever its values.
    assert REGRESSION.layout(torch.tensor([1.0, 2.0])).shape == (2, 1)


def test_a_source_of_the_other_task_is_refused():
    assert REGRESSION.refuses("classification") and BINARY.refuses("regression")
    assert not MULTICLASS.refuses("classification") and not BINARY.refuses(None)


@pytest.mark.parametrize("notion, metric", [
    ("demographic_parity", demographic_parity_difference),
    ("equalized_odds", equalized_odds_difference),
])
def test_the_worst_class_gap_is_one_definition(notion, metric):
    """The metric, the penalty on one-hot scores and constraint mode's held-out
    gap are the same worst class-against-the-rest gap."""
    rng = np.random.default_rng(0)
    y, pred, groups = rng.integers(0, 3, 600), rng.integers(0, 3, 600), rng.integers(0, 2, 600)
    expected = metric(y, pred, sensitive_features=groups, multiclass="one_vs_rest")
    held = HeldOut(pred, 3, y, groups, np.ones(len(y)))
    assert hard_gap(notion, "classification", held, 2) == pytest.approx(expected, abs=1e-12)
    penalty = NotionPenalty(notion)(
        scores=torch.eye(3, dtype=torch.float64)[pred], y=torch.from_numpy(y),
        groups=torch.from_numpy(groups), weight=torch.ones(len(y), dtype=torch.float64),
        n_groups=2, losses=None, task="classification")
    assert float(penalty) == pytest.approx(expected, abs=1e-12)


def test_a_budget_on_several_targets_weighs_every_target():
    """Constraint mode on two targets and three groups: each target's group
    rates have multipliers (before task objects, the batch read the second
    target only, and three groups failed with a shape error)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4)).astype(np.float32)
    groups = rng.integers(0, 3, 300)
    y = np.column_stack([X[:, 0] + groups, X[:, 1] - groups]).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = FairTuneRegressor(penalty="demographic_parity", max_gap=0.1, max_epochs=3,
                                random_state=0).fit(X, y, sensitive_features=groups)
    assert np.isfinite(est.validation_gap_)
    assert [m.shape for m in est.net_.group_multipliers.up] == [(3, 2)]


@pytest.mark.parametrize("width", [1, 2])
def test_the_explained_score_is_predict_proba(width):
    """explain_gap's integrated gradients read the network through the forward
    pass predict_proba runs, a single logit included."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = (X[:, 0] > 0).astype(int)
    module = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(),
                                 torch.nn.Linear(4, width))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = FairTuneClassifier(module, max_epochs=2, random_state=0).fit(X, y)
    with torch.no_grad():
        direct = network_score(est, 1)(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(direct, est.predict_proba(X)[:, 1], rtol=0, atol=1e-15)


def test_no_module_tests_the_tasks_name_but_the_task_module():
    package = Path(skfairtune.__file__).parent
    test = re.compile(r"task (==|!=|in \()")
    found = [f"{path.relative_to(package)}:{n}"
             for path in sorted(package.rglob("*.py")) if path.name != "_tasks.py"
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if test.search(line)]
    assert not found, f"Ask the task object (skfairtune/_tasks.py) instead: {found}"
