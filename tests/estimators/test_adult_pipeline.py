"""On real data, in a user's existing pipeline: the penalty buys fairness cheaply.

The estimator is dropped into a ColumnTransformer pipeline on pandas Adult
and grid-searched over ``penalty_strength``; the held-out demographic-parity
gap must fall as the strength grows while accuracy stays close.
"""

import numpy as np
import pytest
from sklearn.compose import make_column_transformer
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skfairtune import FairTuneClassifier
from skfairtune.datasets import load_adult
from skfairtune.metrics import make_fairness_scorer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def search():
    data = load_adult(split="train", as_frame=True)
    rows = np.random.default_rng(0).choice(len(data.target), 12_000, replace=False)
    X, y = data.data.iloc[rows], data.target.iloc[rows]
    categorical = [c for c in X.select_dtypes("category").columns if c != "sex"]
    numeric = list(X.select_dtypes("number").columns)
    encode = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), categorical),
        (StandardScaler(), numeric),
    )  # "sex" is dropped: the network never sees it
    clf = FairTuneClassifier(max_epochs=8, n_iter_no_change=None, random_state=0)
    grid = GridSearchCV(
        make_pipeline(encode, clf),
        {"fairtuneclassifier__penalty_strength": [0.0, 1.0, 3.0]},
        scoring={
            "accuracy": "accuracy",
            "dp": make_fairness_scorer("demographic_parity_difference",
                                       sensitive_features="sex"),
        },
        refit=False,
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
    )
    return grid.fit(X, y, fairtuneclassifier__sensitive_features=X["sex"])


def test_held_out_gap_falls_as_strength_grows(search):
    gaps = -search.cv_results_["mean_test_dp"]  # stored negated: lower is better
    assert gaps[0] > 0.10  # the unpenalised model is biased
    assert gaps[1] < gaps[0] / 2
    assert gaps[2] <= gaps[1] + 0.01


def test_accuracy_stays_within_a_few_points(search):
    accuracy = search.cv_results_["mean_test_accuracy"]
    assert accuracy[1] > accuracy[0] - 0.03
