"""Parameters of a network's wrapper that scikit-learn's ``BaseEstimator`` does not see.

A user's network class takes arguments of its own. As in skorch, they are
given to the wrapper as ``module__<name>`` keyword arguments (and, for the
estimators, ``optimizer__*`` and ``callbacks__*``): stored as attributes, so
that ``get_params``, ``set_params``, ``clone`` and pickling keep them, though
``__init__``'s signature cannot name them. :class:`ForwardedParamsMixin`
holds this for the estimators and :class:`~skfairtune.pretrained.EmbeddingTransformer`
alike, with a repr that shows a ``pretrained`` state dict as a summary
instead of every weight.
"""

from __future__ import annotations

import copy

from skfairtune._compat import InvalidParameterError


class ForwardedParamsMixin:
    """``module__*``-style keyword arguments as parameters; a short repr of weights.

    Put it before ``BaseEstimator`` among the bases; ``__init__`` takes
    ``**kwargs`` and sets each as an attribute, and ``fit`` calls
    :meth:`_check_forwarded`.
    """

    # What the keyword arguments beyond the signature may start with.
    _forwarded_prefixes: tuple[str, ...] = ("module__",)
    # Parameters that clone passes on as they are: a fitted estimator given
    # as one holds weights, and clone would hand the copy an unfitted one.
    _kept_by_clone: tuple[str, ...] = ("pretrained",)

    def __sklearn_clone__(self):
        cloned = super().__sklearn_clone__()
        for name in self._kept_by_clone:
            setattr(cloned, name, getattr(self, name))
        return cloned

    def _extra_params(self) -> dict:
        """The keyword arguments beyond the named parameters."""
        named = set(self._get_param_names())
        return {
            k: v for k, v in vars(self).items()
            if k not in named and not k.startswith("_") and not k.endswith("_")
        }

    def _forwarded(self, prefix: str) -> dict:
        return {k: v for k, v in self._extra_params().items() if k.startswith(prefix)}

    def _module_kwargs(self) -> dict:
        """The ``module__*`` parameters, as the network's class takes them."""
        return {k.removeprefix("module__"): v for k, v in self._forwarded("module__").items()}

    def _check_forwarded(self) -> None:
        """Refuse keyword arguments that go nowhere; checked when ``fit`` starts.

        Construction never fails (scikit-learn's contract), and the arguments
        beyond the named ones have no constraint to declare.
        """
        kwargs, prefixes = self._extra_params(), self._forwarded_prefixes
        bad = [k for k in kwargs if not k.startswith(prefixes)]
        if bad:
            raise InvalidParameterError(
                f"Unexpected keyword argument(s) {bad}; only parameters starting with "
                f"{prefixes} are forwarded."
            )
        for_module = sorted(k for k in kwargs if k.startswith("module__"))
        if for_module and not isinstance(self.module, type):
            what = "None" if self.module is None else f"a {type(self.module).__name__}"
            advice = (" With module=None use hidden_layer_sizes, activation and dropout."
                      if self.module is None else " Pass the network's class instead.")
            raise InvalidParameterError(
                f"The parameters {for_module} need module to be a class; module is "
                f"{what}, not a class, so they would be ignored.{advice}"
            )

    def get_params(self, deep: bool = True) -> dict:
        """Get the parameters, including the forwarded ``module__*`` ones.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of nested objects (a penalty object).

        Returns
        -------
        dict
        """
        params = super().get_params(deep=deep)
        params.update(self._extra_params())
        return params

    def set_params(self, **params):
        """Set parameters, including forwarded ``module__*``-style ones.

        Parameters
        ----------
        **params : dict
            Parameter names and values.

        Returns
        -------
        self
        """
        forwarded = {k: v for k, v in params.items() if k.startswith(self._forwarded_prefixes)}
        for key, value in forwarded.items():
            setattr(self, key, value)
        rest = {k: v for k, v in params.items() if k not in forwarded}
        return super().set_params(**rest) if rest else self

    def __repr__(self, N_CHAR_MAX: int = 700) -> str:  # noqa: N803 - scikit-learn's name
        # scikit-learn prints get_params' values as they are: a state dict
        # (what the command line's tune passes) would print every weight.
        # The repr is of a shallow copy whose pretrained is its summary, so
        # get_params still returns the weights themselves.
        summary = _state_dict_summary(getattr(self, "pretrained", None))
        if summary is None:
            return super().__repr__(N_CHAR_MAX)
        shown = copy.copy(self)
        shown.pretrained = summary
        return super(ForwardedParamsMixin, shown).__repr__(N_CHAR_MAX)


class _Shown:
    """A stand-in whose repr is the given text, for a parameter too long to print."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _state_dict_summary(value) -> _Shown | None:
    """``<state dict: 6 tensors>`` for a dict of tensors, else None."""
    if not isinstance(value, dict) or not value:
        return None
    if not all(hasattr(v, "shape") for v in value.values()):
        return None
    return _Shown(f"<state dict: {len(value)} tensor{'s' if len(value) != 1 else ''}>")
