"""The one door to other packages' private names.

scikit-learn and imbalanced-learn keep some of what an estimator library needs
in private modules: parameter constraints, the fit context, row counting and
indexing, the scorer base class. Every such name is imported here and nowhere
else, each with why it is needed and under a name without the underscore
(the call sites keep theirs), so that a release that moves one breaks
this file alone (imbalanced-learn keeps the same kind of door,
``sklearn-compat``). joblib's private names are used nowhere, this file
included: the command line's cluster route is built on its public backend API.
"""

# Parameter constraints, declared once per class and checked where fit starts:
# scikit-learn's own contract for `_parameter_constraints`, which its common
# checks expect, and `validate_params` for the loaders.
# imbalanced-learn's input handling for samplers: DataFrames back as
# DataFrames, and its X checks, so ours behave as its samplers do.
from imblearn.utils._validation import ArraysTransformer  # noqa: F401
from imblearn.utils._validation import _check_X as check_X  # noqa: F401

# The fit context: validation of parameters once per fit, as scikit-learn's
# estimators do it (the resamplers' `fit_resample`).
from sklearn.base import _fit_context as fit_context  # noqa: F401

# Scorers: make_fairness_scorer's scorers subclass scikit-learn's base so that
# GridSearchCV, metadata routing and `check_scoring` treat them as its own.
from sklearn.metrics._scorer import _BaseScorer as BaseScorer  # noqa: F401

# The search class, to recognise a fitted search passed to model_report.
from sklearn.model_selection._search import BaseSearchCV  # noqa: F401

# Row and feature counts, indexing and weight checks for any array-like,
# DataFrames and sparse matrices included, with scikit-learn's messages.
from sklearn.utils import _safe_indexing as safe_indexing  # noqa: F401
from sklearn.utils._param_validation import (  # noqa: F401
    HasMethods,
    Interval,
    InvalidParameterError,
    StrOptions,
    validate_params,
)
from sklearn.utils.validation import _check_sample_weight as check_sample_weight  # noqa: F401

# The estimators' target check (numeric y, its dtype and shape), as validate_data's.
from sklearn.utils.validation import _check_y as check_y  # noqa: F401
from sklearn.utils.validation import _num_features as num_features  # noqa: F401
from sklearn.utils.validation import _num_samples as num_samples  # noqa: F401
