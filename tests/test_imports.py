"""No subpackage reaches into another subpackage's private modules.

A subpackage (``skfairtune.metrics``) may import its own private modules
(``._base``); what two subpackages share lives in a top-level private module
(``skfairtune._groups``, ``skfairtune._validation``, ...) or is the public API
of the subpackage that owns it. This test reads every module of skfairtune
with ``ast`` (no import runs) and lists each import that breaks the rule.
"""

from __future__ import annotations

import ast
from pathlib import Path

import skfairtune

PACKAGE = Path(skfairtune.__file__).parent

# (importing module, imported private module) pairs allowed to break the rule:
# none since issue 11. An entry here must say why.
KNOWN_CROSS_IMPORTS: set = set()


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package_of(module: str, path: Path) -> str:
    """The package a module belongs to (itself for a package's ``__init__``)."""
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _imported(node: ast.AST, package: str) -> list[str]:
    """The full names of the modules (or module attributes) an import names."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:
        parent = package.split(".")
        parent = parent[: len(parent) - (node.level - 1)]
        base = ".".join(parent + ([base] if base else []))
    # `from skfairtune.metrics import _base` imports a private module too.
    return [base] + [f"{base}.{alias.name}" for alias in node.names]


def _private_module_owner(name: str) -> str | None:
    """The subpackage that owns the private module ``name``, or None.

    ``skfairtune.metrics._base.encode`` is owned by ``skfairtune.metrics``;
    top-level private modules (``skfairtune._groups``) are shared by design.
    """
    parts = name.split(".")
    if parts[0] != "skfairtune":
        return None
    for depth in range(2, len(parts)):
        if parts[depth].startswith("_") and not parts[depth].startswith("__"):
            return ".".join(parts[:depth])
    return None


def cross_package_imports() -> set[tuple[str, str]]:
    found = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        package = _package_of(module, path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for name in _imported(node, package):
                owner = _private_module_owner(name)
                if owner and not (package == owner or package.startswith(owner + ".")):
                    private = ".".join(name.split(".")[: len(owner.split(".")) + 1])
                    found.add((module, private))
    return found


def test_no_subpackage_imports_another_ones_private_modules():
    new = sorted(cross_package_imports() - KNOWN_CROSS_IMPORTS)
    assert not new, (
        "These modules import another subpackage's private module; move what they "
        "share into a top-level skfairtune/_*.py module, or import it from the owning "
        f"subpackage's public API: {new}"
    )


def test_the_scan_finds_what_it_should():
    """The scanner sees absolute, relative and ``from package import _module`` forms."""
    assert _private_module_owner("skfairtune.metrics._base.group_index") == (
        "skfairtune.metrics")
    assert _private_module_owner("skfairtune._groups.encode_groups") is None
    assert _private_module_owner("skfairtune.report.model_report") is None
    cases = {
        "from ..metrics._base import encode": "skfairtune.metrics._base",
        "from skfairtune.metrics._scorers import x": "skfairtune.metrics._scorers",
        "from skfairtune.metrics import _base": "skfairtune.metrics._base",
        "import skfairtune.estimators._net": "skfairtune.estimators._net",
    }
    for source, private in cases.items():
        node = ast.parse(source).body[0]
        names = _imported(node, "skfairtune.report")
        owners = {_private_module_owner(n) for n in names} - {None}
        assert owners == {private.rpartition(".")[0]}, source
    own = ast.parse("from ._document import Document").body[0]
    assert {_private_module_owner(n) for n in _imported(own, "skfairtune.report")} == {
        "skfairtune.report"}


# Other packages whose private modules or names only skfairtune/_compat.py may
# import; joblib's private names nowhere, that file included (the command
# line's cluster route is a backend built on joblib's public API).
OTHERS = ("sklearn", "imblearn", "skorch", "fairlearn", "torch", "pandas", "numpy",
          "distributed", "dask")
NOWHERE = ("joblib",)


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _private_uses(tree: ast.AST):
    """Other packages' private modules and names that a module's code names.

    ``from pkg._mod import x``, ``from pkg import _name``, ``import pkg._mod``
    and ``pkg._name`` in an expression, as ``pkg.name._private``.
    """
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.Attribute) and _is_private(node.attr):
            names = [ast.unparse(node)]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] in (*OTHERS, *NOWHERE) and any(map(_is_private, parts[1:])):
                yield name


def _private_uses_in(allowed_in_compat):
    root = Path(__file__).resolve().parents[1] / "skfairtune"
    for path in sorted(root.rglob("*.py")):
        for name in _private_uses(ast.parse(path.read_text(encoding="utf-8"))):
            top = name.partition(".")[0]
            if not (path.name == "_compat.py" and top in allowed_in_compat):
                yield str(path.relative_to(root.parent)), name


def test_other_packages_private_names_come_through_one_door():
    found = sorted(_private_uses_in(allowed_in_compat=OTHERS))
    assert not found, (
        "import other packages' private names through skfairtune/_compat.py "
        f"(joblib's: nowhere, use its public API): {found}")


def test_the_private_name_scan_sees_every_form():
    cases = {
        "from joblib._dask import Batch": "joblib._dask",
        "from joblib import _dask": "joblib._dask",
        "import joblib._parallel_backends": "joblib._parallel_backends",
        "backend = joblib._dask.DaskDistributedBackend": "joblib._dask",
        "from sklearn.utils._param_validation import Interval": (
            "sklearn.utils._param_validation"),
    }
    for source, private in cases.items():
        assert any(name.startswith(private) for name in _private_uses(ast.parse(source))), (
            source)
    public = ("from joblib import ParallelBackendBase, parallel_config\n"
              "import joblib.parallel\nfrom .estimators import _base\nx.__class__")
    assert not list(_private_uses(ast.parse(public)))
