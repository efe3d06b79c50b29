"""Grid-search the penalty strength without metadata routing.

The sensitive attribute reaches ``fit`` as a step parameter
(``fairtuneclassifier__sensitive_features``), and the scorer reads it from a
named column of the raw ``X``; the pipeline drops that column, so the network
never sees it.
"""

from sklearn.compose import make_column_transformer
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skfairtune import FairTuneClassifier
from skfairtune.datasets import load_german
from skfairtune.metrics import make_fairness_scorer

data = load_german(sensitive="sex", as_frame=True)
X, y = data.data.assign(sex=data.sensitive), data.target
categorical = [c for c in X.select_dtypes("category").columns if c != "personal_status"]
numeric = list(X.select_dtypes("number").columns)

model = make_pipeline(
    make_column_transformer(  # "sex" and "personal_status" are left out
        (OneHotEncoder(handle_unknown="ignore"), categorical),
        (StandardScaler(), numeric),
    ),
    FairTuneClassifier(max_epochs=20, random_state=0),
)
search = GridSearchCV(
    model,
    {"fairtuneclassifier__penalty_strength": [0.0, 2.0]},
    scoring={
        "accuracy": "accuracy",
        "dp": make_fairness_scorer("demographic_parity_difference", sensitive_features="sex"),
    },
    refit="accuracy",
    cv=StratifiedKFold(3, shuffle=True, random_state=0),
)
search.fit(X, y, fairtuneclassifier__sensitive_features=X["sex"])
print(search.cv_results_["mean_test_accuracy"], -search.cv_results_["mean_test_dp"])
