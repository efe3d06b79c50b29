"""Grid-search the penalty strength, with the sensitive attribute routed.

Metadata routing sends the right rows of ``sensitive_features`` to every fit
and to every scorer, through the pipeline and the cross-validation splitter.
The ``degenerate`` scorer flags a strength whose model rates every applicant
alike (a gap of zero that says nothing about fairness); ``budget_refit``
passes over it.
"""

import sklearn
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skfairtune import FairTuneClassifier
from skfairtune.datasets import load_german
from skfairtune.metrics import make_degeneracy_scorer, make_fairness_scorer
from skfairtune.model_selection import FairStratifiedKFold, budget_refit

data = load_german(as_frame=True, drop_sensitive=True)
X, y, A = data.data, data.target, data.sensitive

with sklearn.config_context(enable_metadata_routing=True):
    clf = FairTuneClassifier(max_epochs=20, random_state=0)
    clf.set_fit_request(sensitive_features=True)
    model = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"),
             make_column_selector(dtype_include="category")),
            (StandardScaler(), make_column_selector(dtype_include="number")),
        ),
        clf,
    )
    dp = make_fairness_scorer("demographic_parity_difference")
    dp.set_score_request(sensitive_features=True)
    degenerate = make_degeneracy_scorer()
    degenerate.set_score_request(sensitive_features=True)
    search = GridSearchCV(
        model,
        {"fairtuneclassifier__penalty_strength": [0.0, 1.0, 4.0]},
        scoring={"accuracy": "accuracy", "dp": dp, "degenerate": degenerate},
        refit=budget_refit(metric="accuracy", constraint="dp", max_value=0.05),
        cv=FairStratifiedKFold(3, shuffle=True, random_state=0),
    )
    search.fit(X, y, sensitive_features=A)

results = search.cv_results_
for params, acc, gap, flag in zip(results["params"], results["mean_test_accuracy"],
                                  results["mean_test_dp"], results["mean_test_degenerate"]):
    print(params, f"accuracy {acc:.3f}", f"DP gap {abs(gap):.3f}",
          "degenerate" if flag else "")
print("chosen:", search.best_params_)
