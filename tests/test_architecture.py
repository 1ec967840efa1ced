"""The package's import structure: imports point one way, and the layers that
must stay free of Flask or of other domains do.

The imports are read from the source with ``ast``, including those made inside
functions (a function-level import is still a dependency, only a later one).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "lms"

ENGINE_PACKAGES = ("lms.courses", "lms.assessments", "lms.levels", "lms.certificates")
DOMAIN_PACKAGES = (
    *ENGINE_PACKAGES,
    "lms.studio",
    "lms.employers",
    "lms.sessions",
    "lms.surveys",
    "lms.interop",
)
SHARED_LAYER_MODULES = (
    "lms.web",
    "lms.request_guards",
    "lms.db",
    "lms.config",
    "lms.signals",
    "lms.state",
    "lms.sqlite_engine",
)
FLASK_FREE_MODULES = (
    "lms.assessments.grading",
    "lms.certificates.verify",
    "lms.questions",
    "lms.questions.base",
    "lms.questions.choice",
    "lms.questions.file_fields",
    "lms.questions.matching",
    "lms.questions.numerical",
    "lms.questions.registry",
    "lms.questions.scenario",
    "lms.questions.short_answer",
    "lms.questions.tokens",
)
WEB_AND_DATABASE_LIBRARIES = ("flask", "flask_sqlalchemy", "sqlalchemy", "werkzeug")


def module_name(path: Path, root: Path) -> str:
    """The dotted name of a source file under ``root``'s parent."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _runtime_nodes(tree: ast.AST) -> Iterable[ast.AST]:
    """Every node of the tree except what sits under ``if TYPE_CHECKING:``,
    which only a type checker imports."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for child in node.orelse for n in [child, *_runtime_nodes(child)])
            continue
        yield node
        yield from _runtime_nodes(node)


def imported_names(
    tree: ast.AST, module: str, is_package: bool, modules: set[str]
) -> Iterable[str]:
    """Every module name an ``import`` or ``from ... import`` in the tree names.

    ``from lms.x import y`` names ``lms.x.y`` when that is a module of ours,
    else ``lms.x`` (``y`` is then a name defined there).
    """
    package = module if is_package else module.rpartition(".")[0]
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                yield submodule if submodule in modules else base


def import_graph(root: Path) -> dict[str, set[str]]:
    """Each module of the package under ``root`` and the modules it imports,
    inside the package and outside it (outside ones by their top-level name)."""
    sources = {module_name(path, root): path for path in root.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for module, path in sources.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets: set[str] = set()
        is_package = path.name == "__init__.py"
        for name in imported_names(tree, module, is_package, set(sources)):
            if name.split(".")[0] != root.name:
                targets.add(name.split(".")[0])
            elif name in sources and name != module:
                targets.add(name)
        graph[module] = targets
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    lowlink: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = lowlink[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in graph:
                continue
            if target not in index:
                visit(target)
                lowlink[node] = min(lowlink[node], lowlink[target])
            elif target in on_stack:
                lowlink[node] = min(lowlink[node], index[target])
        if lowlink[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def in_package(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def forbidden_imports(graph: dict[str, set[str]]) -> list[str]:
    """Every import that breaks one of the layering rules, as a readable line."""
    found = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            reason = _rule_broken(module, target)
            if reason:
                found.append(f"{module} imports {target}: {reason}")
    return found


def _rule_broken(module: str, target: str) -> str | None:
    if any(in_package(module, p) for p in ("lms.courses", "lms.assessments")) and in_package(
        target, "lms.certificates"
    ):
        return "courses and assessments must not know about certificates (use a signal)"
    if any(in_package(module, p) for p in ENGINE_PACKAGES) and in_package(target, "lms.studio"):
        return "the engine packages must not depend on the studio"
    if any(in_package(module, p) for p in ENGINE_PACKAGES) and in_package(target, "lms.employers"):
        return "the engine packages must not depend on the employers (use a signal)"
    if any(in_package(module, p) for p in (*ENGINE_PACKAGES, "lms.employers")) and in_package(
        target, "lms.sessions"
    ):
        return "the other domains react to sessions through signals, never import them"
    if in_package(module, "lms.employers") and target in (
        "lms.certificates.models",
        "lms.certificates.issuing",
    ):
        return "employers use the certificates' public rules, never their tables or issuing"
    if any(in_package(module, p) for p in DOMAIN_PACKAGES if p != "lms.interop") and in_package(
        target, "lms.interop"
    ):
        return "the domains do not know about interop (it reacts to their signals)"
    if in_package(module, "lms.interop") and any(
        in_package(target, p) for p in DOMAIN_PACKAGES if p != "lms.interop"
    ):
        return "interop reads the events the signals carry, never the domains' modules"
    if in_package(module, "lms.accounts") and any(in_package(target, p) for p in DOMAIN_PACKAGES):
        return "accounts sit below every domain"
    if module in SHARED_LAYER_MODULES and (
        any(in_package(target, p) for p in (*DOMAIN_PACKAGES, "lms.accounts"))
        or target == "lms.extension"
    ):
        return "the shared layer imports no domain"
    if in_package(target, "lms.extension") and module not in ("lms", "lms.app", "lms.bench"):
        return "only the package entry points import the composition root"
    if module in FLASK_FREE_MODULES and target in WEB_AND_DATABASE_LIBRARIES:
        return "this module must run without Flask or a database"
    return None


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(PACKAGE_DIR)


def test_the_package_has_no_import_cycle(graph):
    cycles = import_cycles(graph)

    assert not cycles, "modules that import each other:\n" + "\n".join(
        " <-> ".join(group) for group in cycles
    )


def test_no_module_breaks_a_layering_rule(graph):
    broken = forbidden_imports(graph)

    assert not broken, "imports against the layering rules:\n" + "\n".join(broken)


def test_the_reader_sees_imports_made_inside_functions(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def later():\n    from pkg import b\n")
    (package / "b.py").write_text("from pkg.a import later\n")

    graph = import_graph(package)

    assert graph["pkg.a"] == {"pkg.b"}
    assert import_cycles(graph) == [["pkg.a", "pkg.b"]]


def test_a_certificate_import_from_the_assessments_is_refused():
    graph = {"lms.assessments.services": {"lms.certificates.services"}}

    assert forbidden_imports(graph) == [
        "lms.assessments.services imports lms.certificates.services: courses and "
        "assessments must not know about certificates (use a signal)"
    ]


def test_flask_in_the_grading_registry_is_refused():
    graph = {"lms.assessments.grading": {"flask"}}

    assert len(forbidden_imports(graph)) == 1


def test_the_shared_web_layer_may_not_reach_into_accounts():
    graph = {"lms.web": {"lms.accounts.access"}}

    assert len(forbidden_imports(graph)) == 1
