"""budget_refit and pareto_front on hand-made cv_results_."""

import pickle

import matplotlib
import numpy as np
import pytest

from skfairtune.model_selection import (
    BudgetNotMetWarning,
    budget_refit,
    pareto_front,
    plot_pareto_front,
)

matplotlib.use("Agg")

RESULTS = {
    "params": [{"C": c} for c in (0.01, 0.1, 1.0, 10.0, 100.0)],
    "param_C": np.array([0.01, 0.1, 1.0, 10.0, 100.0], dtype=object),
    "mean_test_accuracy": np.array([0.70, 0.78, 0.80, 0.84, 0.83]),
    "mean_test_dp": np.array([-0.005, -0.03, -0.02, -0.09, -0.12]),
}


@pytest.mark.parametrize("max_value, expected", [
    (0.02, 2),   # 0.80 is the best with a gap <= 0.02
    (0.1, 3),    # 0.84 within 0.1
    (1.0, 3),
    (0.005, 0),  # the budget is inclusive
])
def test_best_within_budget(max_value, expected):
    rule = budget_refit(metric="accuracy", constraint="dp", max_value=max_value)
    assert rule(RESULTS) == expected


def test_gaps_stored_positive_are_read_as_they_are():
    positive = {**RESULTS, "mean_test_dp": -RESULTS["mean_test_dp"]}
    assert budget_refit(constraint="dp", max_value=0.02)(positive) == 2


def test_unmeetable_budget_warns_and_takes_the_fairest():
    rule = budget_refit(constraint="dp", max_value=0.001)
    with pytest.warns(BudgetNotMetWarning, match="No candidate has dp <= 0.001"):
        assert rule(RESULTS) == 0


def test_missing_scorer_is_named_with_the_available_ones():
    rule = budget_refit(metric="accuracy", constraint="demographic_parity_difference")
    with pytest.raises(ValueError, match=r"no scorer 'demographic_parity_difference'"
                       r" \(the constraint\).*\['accuracy', 'dp'\]"):
        rule(RESULTS)
    with pytest.raises(ValueError, match=r"no scorer 'f1' \(the metric\)"):
        budget_refit(metric="f1", constraint="dp")(RESULTS)


def test_mixed_signs_are_not_a_gap():
    mixed = {**RESULTS, "mean_test_dp": np.array([0.1, -0.1, 0.0, 0.2, 0.3])}
    with pytest.raises(ValueError, match="both signs"):
        budget_refit(constraint="dp")(mixed)


def test_failed_fits_are_skipped():
    failed = {**RESULTS, "mean_test_accuracy": np.array([np.nan, 0.78, 0.80,
                                                         0.84, 0.83])}
    with pytest.warns(BudgetNotMetWarning):
        assert budget_refit(constraint="dp", max_value=0.01)(failed) == 2


@pytest.mark.parametrize("kwargs, message", [
    ({"max_value": -0.1}, "max_value must be a non-negative number"),
    ({"max_value": "0.1"}, "max_value must be"),
    ({"metric": ["accuracy"]}, "metric must be a key of the scoring dict"),
])
def test_rule_arguments_are_checked(kwargs, message):
    with pytest.raises(ValueError, match=message):
        budget_refit(**kwargs)


def test_rule_pickles_and_prints():
    rule = pickle.loads(pickle.dumps(budget_refit(constraint="dp", max_value=0.05)))
    assert rule(RESULTS) == 2
    assert repr(rule) == ("budget_refit(metric='accuracy', constraint='dp', "
                          "max_value=0.05)")


def test_pareto_front_keeps_the_non_dominated_fairest_first():
    front = pareto_front(RESULTS, metric="accuracy", constraint="dp")
    # 1 (0.78, 0.03) is beaten by 2 (0.80, 0.02); 4 by 3.
    assert list(front.index) == [0, 2, 3]
    assert list(front["dp"]) == [0.005, 0.02, 0.09]
    assert list(front["accuracy"]) == [0.70, 0.80, 0.84]
    assert front["params"].iloc[1] == {"C": 1.0} and "param_C" in front


def _dominated(score, gap, i):
    return any(score[j] >= score[i] and gap[j] <= gap[i]
               and (score[j] > score[i] or gap[j] < gap[i]) for j in range(len(score)))


def test_pareto_front_matches_the_definition_on_random_points():
    rng = np.random.default_rng(0)
    for _ in range(30):
        score = rng.integers(0, 6, 12) / 5
        gap = rng.integers(0, 6, 12) / 5
        front = pareto_front({"mean_test_a": score, "mean_test_g": -gap},
                             metric="a", constraint="g")
        expected = [i for i in range(12) if not _dominated(score, gap, i)]
        assert sorted(front.index) == expected


def test_plot_marks_the_chosen_candidate():
    ax = plot_pareto_front(RESULTS, constraint="dp", chosen=2, max_value=0.02)
    labels = ax.get_legend_handles_labels()[1]
    assert labels == ["candidates", "Pareto front", "budget", "chosen (2)"]
    assert ax.get_xlabel() == "dp (lower is fairer)" and ax.get_ylabel() == "accuracy"
    front_line = ax.get_lines()[0]
    assert list(front_line.get_xdata()) == [0.005, 0.02, 0.09]
