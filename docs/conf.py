"""Sphinx configuration for skfairtune's documentation."""

import skfairtune

project = "skfairtune"
author = "The skfairtune developers"
copyright = "2026, The skfairtune developers"
version = release = skfairtune.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "numpydoc",
]
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_validation_checks = set()
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
html_theme = "alabaster"
# No network at build time: intersphinx inventories are not fetched.
intersphinx_mapping = {}
templates_path = []
nitpicky = False
suppress_warnings = ["autosummary.import_cycle"]


def _skip_scikit_learn_members(app, what, name, obj, skip, options):
    # Methods that scikit-learn supplies (score, set_*_request) are documented
    # there; their docstrings point into scikit-learn's own glossary.
    module = getattr(obj, "__module__", None) or ""
    return True if module.startswith("sklearn") else skip


def setup(app):
    app.connect("autodoc-skip-member", _skip_scikit_learn_members)
