"""How skfairtune's modules import: read with ``ast``, no import runs.

Four rules: no subpackage reaches into another subpackage's private modules;
no modules import each other around a circle; every import goes down the
layers (``LAYERS``, drawn in docs/contributing/layers.rst); other packages'
private names come through skfairtune/_compat.py alone, joblib's nowhere.

A subpackage (``skfairtune.metrics``) may import its own private modules
(``._base``); what two subpackages share lives in a top-level private module
(``skfairtune._groups``, ``skfairtune._validation``, ...) or is the public API
of the subpackage that owns it. Each test lists every import that breaks its
rule.
"""

from __future__ import annotations

import ast
import fnmatch
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


# No import circles among skfairtune's modules: each layer imports only the
# layers below it (docs/contributing/layers.rst draws them). Function-level
# imports count: a lazy import hides a circle from Python, not from a reader.


def import_graph(modules: dict[str, tuple[str, bool]]) -> dict[str, set[str]]:
    """Which of ``modules`` each one imports, anywhere in its code.

    ``modules`` maps a module's full name to its source and whether it is a
    package's ``__init__``. ``from pkg import name`` imports ``pkg.name`` when
    that is one of the modules, else ``pkg`` itself; ``import a.b.c`` imports
    the longest of ``a.b.c``, ``a.b``, ``a`` that is one.
    """
    graph = {}
    for module, (source, is_package) in modules.items():
        package = module if is_package else module.rpartition(".")[0]
        graph[module] = set()
        for node in _runtime_nodes(ast.parse(source)):
            if isinstance(node, ast.ImportFrom):
                base, *names = _imported(node, package)
                found = [name for name in names if name in modules]
                targets = found if len(found) == len(names) else [*found, base]
            elif isinstance(node, ast.Import):
                targets = [_known_prefix(alias.name, modules) for alias in node.names]
            else:
                continue
            graph[module].update(t for t in targets if t in modules and t != module)
    return graph


def _runtime_nodes(tree: ast.AST):
    """Every node, as ``ast.walk`` gives them, but for the body of an ``if
    TYPE_CHECKING:`` block: imports for annotations only, which never run."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        test = getattr(node, "test", None)
        if isinstance(node, ast.If) and ast.unparse(test).endswith("TYPE_CHECKING"):
            todo.extend(node.orelse)
        else:
            todo.extend(ast.iter_child_nodes(node))


def _known_prefix(name: str, modules) -> str | None:
    parts = name.split(".")
    return next((".".join(parts[:n]) for n in range(len(parts), 0, -1)
                 if ".".join(parts[:n]) in modules), None)


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while not group or group[-1] != node:
                group.append(stack.pop())
                on_stack.discard(group[-1])
            if len(group) > 1:
                cycles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def _package_modules() -> dict[str, tuple[str, bool]]:
    return {_module_name(path): (path.read_text(encoding="utf-8"), path.name == "__init__.py")
            for path in sorted(PACKAGE.rglob("*.py"))}


def test_no_import_cycles_among_skfairtune_modules():
    cycles = import_cycles(import_graph(_package_modules()))
    assert not cycles, (
        "These modules import each other, directly or around a circle (function-level "
        "imports included); move what they share down a layer, or check for a "
        f"capability instead of importing a class: {cycles}")


def test_the_cycle_scan_sees_lazy_and_relative_imports():
    modules = {
        "pkg": ("", True),
        "pkg.weights": ("from pkg._embed import Embed\n", False),
        "pkg._embed": ("def fit():\n    from .weights import read\n", False),
        "pkg.sub": ("from . import _low\n", True),
        "pkg.sub._low": ("import pkg.explain\n", False),
        "pkg.explain": ("def f():\n    from pkg.sub import thing\n", False),
        "pkg.top": ("from pkg import weights, sub\nimport numpy\n", False),
        "pkg.typed": ("if TYPE_CHECKING:\n    from pkg.top import T\n", False),
    }
    graph = import_graph(modules)
    assert graph["pkg.top"] == {"pkg.weights", "pkg.sub"}
    assert graph["pkg.sub"] == {"pkg.sub._low"}
    assert graph["pkg.typed"] == set()
    assert import_cycles(graph) == [["pkg._embed", "pkg.weights"],
                                    ["pkg.explain", "pkg.sub", "pkg.sub._low"]]
    del modules["pkg._embed"], modules["pkg.explain"]
    assert import_cycles(import_graph(modules)) == []


# The layers, top first: a module imports from its own layer or those below,
# never from a layer above (docs/contributing/layers.rst shows this table).
# A subpackage is named with a slash; "_[!_]*" is every top-level private module.
# layers-start
LAYERS = [
    ("cli/", "__main__", "__init__"),  # the command line; the package's front
    ("audit",),  # the data-set audit, a report of its own
    ("estimators/", "report/"),  # the estimators; reports of fitted models
    ("callbacks", "distributed", "model_selection/"),  # training callbacks; choosing
    ("metrics/", "penalties", "resampling/", "datasets/", "pretrained", "explain"),
    ("notions",),  # each fairness notion, declared once
    ("exceptions", "_[!_]*"),  # helpers every layer shares (_groups, _compat, ...)
]
# layers-end


def _unit(module: str) -> str:
    """What the layers name: ``skfairtune.metrics._gaps`` is ``metrics/``."""
    parts = module.split(".")[1:]
    if not parts:
        return "__init__"
    return parts[0] + "/" if (PACKAGE / parts[0]).is_dir() else parts[0]


def _layer(unit: str) -> int | None:
    """The unit's layer, counted from the bottom (0), or None if it is in none."""
    for height, units in enumerate(reversed(LAYERS)):
        if any(fnmatch.fnmatchcase(unit, pattern) for pattern in units):
            return height
    return None


def test_every_import_goes_down_the_layers():
    graph = import_graph(_package_modules())
    unplaced = sorted({_unit(m) for m in graph} - {u for u in map(_unit, graph) if
                                                      _layer(u) is not None})
    assert not unplaced, f"place these in tests/test_imports.py's LAYERS: {unplaced}"
    upward = sorted((module, other) for module, others in graph.items() for other in others
                    if _layer(_unit(other)) > _layer(_unit(module)))
    assert not upward, (
        "These imports run up the layers (docs/contributing/layers.rst): move what is "
        f"shared down, or check for a capability instead of importing a class: {upward}")


def test_the_layers_place_each_kind_of_module():
    assert _unit("skfairtune.metrics._gaps") == "metrics/"
    assert _unit("skfairtune.explain") == "explain"
    assert _unit("skfairtune") == "__init__"
    assert _layer("_weights") == _layer("exceptions") == 0
    assert _layer("explain") < _layer("estimators/") < _layer("cli/")
    assert _layer("new_module") is None


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
