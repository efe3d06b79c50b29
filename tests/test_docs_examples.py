"""The runnable examples that the user guide includes run, and do what they say."""

import runpy
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"

pytestmark = pytest.mark.slow


def test_routing_example_routes_and_respects_the_budget():
    search = runpy.run_path(str(EXAMPLES / "grid_search_with_routing.py"))["search"]
    gaps = -search.cv_results_["mean_test_dp"]
    assert gaps[0] > gaps[-1]  # the penalty narrows the held-out gap
    assert gaps[search.best_index_] <= 0.05
    # The strongest penalty rates every applicant "good": flagged, passed over.
    flagged = search.cv_results_["mean_test_degenerate"] > 0
    assert flagged[-1] and not flagged[search.best_index_]
    within = (gaps <= 0.05) & ~flagged
    accuracy = search.cv_results_["mean_test_accuracy"]
    assert accuracy[search.best_index_] == accuracy[within].max()


def test_named_column_example_scores_from_the_raw_column():
    search = runpy.run_path(str(EXAMPLES / "grid_search_with_named_column.py"))["search"]
    gaps = -search.cv_results_["mean_test_dp"]
    assert np.all(np.isfinite(gaps))
    assert gaps[1] < gaps[0]
    # the network never saw the sensitive column
    ct = search.best_estimator_[0]
    assert "sex" not in ct.get_feature_names_out().tolist()


@pytest.mark.filterwarnings("ignore::skfairtune.exceptions.BudgetUncertainWarning")
def test_disk_example_fits_as_in_memory():
    run = runpy.run_path(str(EXAMPLES / "fit_from_disk.py"))
    expected = run["in_memory"].predict_proba(run["X"])
    np.testing.assert_allclose(run["proba"], expected, atol=1e-6)
    np.testing.assert_allclose(run["proba_from_items"], expected, atol=1e-6)
    assert run["clf"].validation_gap_ <= 0.1
