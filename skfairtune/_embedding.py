"""A frozen pre-trained network as a scikit-learn transformer of its embeddings.

Last-layer retraining (DFR, Kirichenko et al. 2023) keeps a pre-trained
network's body as it is and refits only the head, on data chosen or weighted
for the groups: the body's features are good, its head is what learned the
shortcut. :class:`EmbeddingTransformer` is the body, as a transformer whose
output is a named layer's activations, so that the fair head is an ordinary
estimator after it in a ``Pipeline``. Re-exported by
:mod:`skfairtune.pretrained`, where users look for it.
"""

from __future__ import annotations

import copy
from numbers import Integral
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted, validate_data

from skfairtune import _inputs
from skfairtune._compat import HasMethods, Interval
from skfairtune._compat import fit_context as _fit_context
from skfairtune._params import ForwardedParamsMixin
from skfairtune._torch_data import call_module, feature_tensor, features_to
from skfairtune._weights import load_state_dict, read_pretrained


class EmbeddingTransformer(ForwardedParamsMixin, ClassNamePrefixFeaturesOutMixin,
                           TransformerMixin, BaseEstimator):
    """The activations of a frozen pre-trained network's layer, as features.

    ``fit`` builds the network, loads ``pretrained`` into it and freezes it:
    nothing is trained, ever. ``transform`` runs the network in evaluation
    mode and returns the output of ``layer`` (flattened to one row per
    sample), read by a forward hook. Put a fair head after it in a
    ``Pipeline``: with ``FairTuneClassifier(hidden_layer_sizes=(),
    penalty="worst_group_loss")`` this is last-layer retraining (DFR).

    Parameters
    ----------
    module : torch.nn.Module class or instance, or fitted estimator
        The network; a class is instantiated with the ``module__*``
        parameters, an instance is copied, never changed in place. A fitted
        skfairtune or skorch estimator (or scikit-learn ``MLPClassifier``,
        ``MLPRegressor``, ``LogisticRegression``) gives its network, as the
        estimators' ``pretrained`` reads it.
    pretrained : str, Path, dict, torch.nn.Module or fitted estimator, default=None
        Weights to load, as the estimators' ``pretrained`` takes them; None
        keeps the module's own.
    layer : str, default=None
        The name of the submodule whose output is returned, as
        ``module.named_modules()`` names it (``"body"``, ``"hidden.1"``);
        None returns the network's output.
    batch_size : int, default=1024
        Rows per forward pass.
    device : str or torch.device, default="cpu"
        Where the network runs.
    **kwargs
        ``module__*`` parameters: the arguments of the network's class, as
        skorch and the estimators take them (``module__d_in=15``).

    Attributes
    ----------
    module_ : torch.nn.Module
        The frozen network.
    n_features_in_ : int
        Number of features seen in fit, when X is a 2-D table.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen in fit, when X had string column names.

    See Also
    --------
    skfairtune.FairTuneClassifier : The head to fit on the embeddings.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from sklearn.pipeline import make_pipeline
    >>> from skfairtune import FairTuneClassifier
    >>> from skfairtune.pretrained import EmbeddingTransformer
    >>> net = torch.nn.Sequential()
    >>> net.add_module("body", torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU()))
    >>> net.add_module("head", torch.nn.Linear(8, 1))
    >>> emb = EmbeddingTransformer(net, layer="body")
    >>> X = np.random.default_rng(0).normal(size=(6, 4))
    >>> emb.fit_transform(X).shape
    (6, 8)
    >>> emb.get_feature_names_out()[:2]
    array(['embeddingtransformer0', 'embeddingtransformer1'], dtype=object)
    """

    _parameter_constraints: dict = {
        "module": [type, torch.nn.Module, HasMethods(["fit", "predict"])],
        "pretrained": "no_validation",
        "layer": [None, str],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "device": [str, torch.device],
    }

    # A fitted estimator given as the network holds its weights.
    _kept_by_clone = ("module", "pretrained")

    def __init__(self, module, *, pretrained=None, layer=None, batch_size=1024,
                 device="cpu", **kwargs):
        self.module = module
        self.pretrained = pretrained
        self.layer = layer
        self.batch_size = batch_size
        self.device = device
        # Checked in fit: construction never fails.
        for key, value in kwargs.items():
            setattr(self, key, value)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None) -> EmbeddingTransformer:
        """Build the network, load the weights, freeze it; no training.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...) or dict of such arrays
            Inputs as the network takes them.
        y : None
            Ignored.

        Returns
        -------
        self
        """
        self._check_forwarded()
        X = self._validate(X, reset=True)
        module = self._network()
        if self.pretrained is not None:
            load_state_dict(module, read_pretrained(self.pretrained).state_dict)
        self.module_ = module.eval().to(torch.device(self.device))
        _layer_of(self.module_, self.layer)
        # A first pass also gives lazy layers (LazyLinear) their shapes.
        self._n_features_out = self._embed(_inputs.first_rows(X, 1)).shape[1]
        self.module_.requires_grad_(False)
        return self

    def _network(self) -> torch.nn.Module:
        """A copy of the network: built from its class, copied, or a fitted estimator's."""
        if isinstance(self.module, type):
            return self.module(**self._module_kwargs())
        if isinstance(self.module, torch.nn.Module):
            return copy.deepcopy(self.module)
        try:
            return read_pretrained(self.module).module
        except NotFittedError:
            raise NotFittedError(
                f"module={type(self.module).__name__}(...) is not fitted, or has no "
                "network: pass a fitted skfairtune or skorch estimator, MLPClassifier, "
                "MLPRegressor or LogisticRegression, or the network's class or an "
                "instance of it.") from None

    def transform(self, X: Any) -> np.ndarray:
        """The activations of ``layer`` for each row, flattened.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...) or dict of such arrays

        Returns
        -------
        ndarray of shape (n_samples, n_embedding), float32
        """
        check_is_fitted(self, "module_")
        return self._embed(self._validate(X, reset=False))

    def _validate(self, X: Any, *, reset: bool) -> Any:
        X = _inputs.to_numpy(X)
        if _inputs.is_custom_input(X):
            X, _ = _inputs.check_custom_input(X)
            if reset:
                self._layout = _inputs.input_layout(X)
            else:
                _inputs.check_layout(X, self._layout)
            return X
        X = validate_data(self, X, reset=reset, dtype=[np.float32, np.float64])
        if reset:
            self._layout = _inputs.input_layout(X)
        return X

    def _embed(self, X: Any) -> np.ndarray:
        target = _layer_of(self.module_, self.layer)
        captured, outputs = [], []
        hook = target.register_forward_hook(lambda mod, args, out: captured.append(out))
        try:
            with torch.no_grad():
                for start in range(0, _inputs.n_rows(X), self.batch_size):
                    part = feature_tensor(_inputs.first_rows(_rows(X, start), self.batch_size))
                    captured.clear()
                    try:
                        call_module(self.module_, features_to(part, self.device))
                    except (RuntimeError, TypeError, ValueError, IndexError) as exc:
                        raise _inputs.refusal(X, exc, self.module_) from exc
                    outputs.append(_single_output(captured, self.layer))
        finally:
            hook.remove()
        return np.concatenate(outputs).astype(np.float32)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = True
        # The network computes in float32, whatever X's dtype.
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


def _rows(X: Any, start: int) -> Any:
    return {k: v[start:] for k, v in X.items()} if isinstance(X, dict) else X[start:]


def _layer_of(module: torch.nn.Module, layer: str | None) -> torch.nn.Module:
    if layer is None:
        return module
    layers = dict(module.named_modules())
    if layer not in layers:
        named = [name for name in layers if name]
        raise ValueError(
            f"layer={layer!r} is not a submodule of the network; its submodules "
            f"are {named}."
        )
    return layers[layer]


def _single_output(captured: list, layer: str | None) -> np.ndarray:
    if len(captured) != 1:
        # A layer shared by several branches has no single embedding.
        raise ValueError(
            f"layer={layer!r} ran {len(captured)} times in one forward pass; pick a "
            "layer that runs once per pass."
        )
    return _as_rows(captured[0])


def _as_rows(out: Any) -> np.ndarray:
    # Recurrent layers return (output, state): the output is the embedding.
    if isinstance(out, (tuple, list)):
        out = out[0]
    if not isinstance(out, torch.Tensor):
        raise ValueError(
            f"The layer returned {type(out).__name__}, not a tensor: pick a layer "
            "whose output is a tensor of activations."
        )
    out = out.detach().cpu()
    return (out.reshape(len(out), -1) if out.ndim > 1 else out[:, None]).numpy()
