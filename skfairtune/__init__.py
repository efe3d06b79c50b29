"""skfairtune: scikit-learn-compatible fine-tuning of neural networks for bias reduction."""

from importlib import import_module

__version__ = "0.1.0.dev0"

__all__ = ["FairTuneClassifier", "FairTuneRegressor", "__version__"]

# Imported on first use: the estimators bring torch and skorch, which the
# metrics, the audit and `skfairtune --help` do without (seconds saved).
_LAZY = {"FairTuneClassifier": "skfairtune.estimators",
         "FairTuneRegressor": "skfairtune.estimators"}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value  # looked up here once, then found directly
        return value
    if not name.startswith("_"):
        # A submodule (skfairtune.metrics), as if imported eagerly.
        try:
            return import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list:
    return sorted({*globals(), *_LAZY})
