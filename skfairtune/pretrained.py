"""Loading and converting pre-trained weights, and freezing parameters.

Fine-tuning starts from somewhere: a weight file, a state dict, a torch
module, a fitted skfairtune or skorch estimator, or a fitted scikit-learn
``MLPClassifier``, ``MLPRegressor`` or ``LogisticRegression``, which is
converted to the equivalent torch network. :func:`read_pretrained` turns any of
these into a :class:`PretrainedSource`; the estimators load it into their
network with :func:`load_state_dict`, which names the first layer whose shape
does not fit.

Weight files are read safely: ``.safetensors`` holds tensors only, and
``.pt``/``.pth`` files are read with ``torch.load(weights_only=True)``, which
refuses pickled objects that carry code instead of running it.

:class:`EmbeddingTransformer` turns a frozen pre-trained network into a
scikit-learn transformer of a layer's activations, on which a fair head can
be fitted in a ``Pipeline`` (last-layer retraining).
"""

from skfairtune._embedding import EmbeddingTransformer
from skfairtune._freeze import freeze_parameters, parameterised_layers
from skfairtune._weights import (
    PretrainedSource,
    first_non_finite,  # noqa: F401 (not public: the estimators' and cli's, from here)
    load_state_dict,
    module_from_sklearn,
    read_pretrained,
    read_weight_file,
    save_weights,
)

__all__ = [
    "EmbeddingTransformer",
    "PretrainedSource",
    "read_pretrained",
    "read_weight_file",
    "load_state_dict",
    "freeze_parameters",
    "parameterised_layers",
    "save_weights",
    "module_from_sklearn",
]
