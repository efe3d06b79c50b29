"""The encoding of a data file's columns that ``tune`` trains on.

Shared by the run (``_tune``), which fits it, and the saved model
(``_model_file``), which rebuilds it from its description: both import it
from here, a layer below either.
"""

from __future__ import annotations


def encoding(categorical: list, numeric: list, *, categories="auto"):
    """The encoding, unfitted: ``categorical`` columns one-hot (a category unseen
    in training is all zeros), ``numeric`` ones with missing values at the median,
    standardised. ``categories`` as OneHotEncoder takes them."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    return ColumnTransformer([
        ("categories", OneHotEncoder(categories=categories, handle_unknown="ignore",
                                     sparse_output=False), categorical),
        ("numbers", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
         numeric),
    # One job: the encoding is quick, and under --scheduler the calls inside a
    # fit run in its thread whatever n_jobs says (see _cluster).
    ], n_jobs=1)
