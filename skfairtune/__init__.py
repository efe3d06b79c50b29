"""skfairtune: scikit-learn-compatible fine-tuning of neural networks for bias reduction."""

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
