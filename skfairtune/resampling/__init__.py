"""Group-aware resampling and reweighing, at fit time only.

The samplers follow imbalanced-learn's ``fit_resample`` API, so they work in
:class:`imblearn.pipeline.Pipeline`; unlike imbalanced-learn's, they keep the
sensitive features aligned with the rows they return (``sensitive_features_``,
``sample_indices_``), and :func:`resample` does the same for any sampler.
"""

from ._group_resampler import GroupResampler
from ._resample import resample
from ._reweighing import reweighing_weights
from ._smote import GroupSMOTE

__all__ = [
    "GroupResampler",
    "GroupSMOTE",
    "resample",
    "reweighing_weights",
]
