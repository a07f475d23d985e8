"""The layering of the code base as data, the rules that hold it, and a listing of the import
graph between the packages of app/ with whatever breaks the rules:

    .venv/bin/python -m tests.architecture [--root PATH]

exits 1 when a rule is broken. tests/test_architecture.py asserts the same rules, and proves
each of them fails on a planted violation. CONTRIBUTING.md explains the layers in words.

Every import counts, wherever it is written: at the top, inside a function or under
TYPE_CHECKING. An import hidden in a function to dodge a cycle is still a dependency.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The packages of app/, low to high: a package may import only packages of a lower layer, so two
# packages of one layer know nothing of each other. Every package of app/ must be named here.
# core and text are the toolbox; catalogue (countries, commodities, markets) and channels (what a
# transport must offer the outbox) stand on them; accounts holds staff, tokens, audit and
# contacts. The domains come next: producers, prices and notices on their own, leads, which
# quotes prices' currencies, then alerts, which reads all of them to build its messages, and
# sources beside it, which feeds prices and leads (the caller passes it the alerts to run);
# commands answers producers' messages using every domain; at the top, inbound receives
# messages from the gateways and hands them to commands, and lifecycle changes or erases a
# producer together with what alerts and commands keep of them. Above everything, today sums up
# what every domain has waiting for a staff member.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"core"}),
    frozenset({"text"}),
    frozenset({"catalogue", "channels"}),
    frozenset({"accounts"}),
    frozenset({"producers", "prices", "notices"}),
    frozenset({"leads"}),
    frozenset({"alerts", "sources"}),
    frozenset({"commands"}),
    frozenset({"inbound", "lifecycle"}),
    frozenset({"today"}),
)

# The HTTP edge of app/: the composition root, the CLI, the schema listing, each domain's api.py,
# app/api/ (the JSON API), app/web/ (HTML pages: templates, static files), app/console/ (the
# staff console's pages) and app/public/ (the public board: pages, share cards, open data). It
# wires the domains together, so it may import any of them.
HTTP_EDGE_FILES = frozenset({"__init__.py", "__main__.py", "main.py", "cli.py", "schema.py"})
DOMAIN_API_FILE = "api.py"
HTTP_EDGE_PACKAGES = frozenset({"api", "console", "public", "web"})

# What the domain (app/ except its HTTP edge) never imports: web frameworks, transports, the
# scheduler's jobs, and HTTP clients (fetching belongs to jobs/collectors and the gateways).
FORBIDDEN_IN_DOMAIN = frozenset(
    {"fastapi", "starlette", "telegram", "bots", "jobs", "uvicorn", "httpx"}
)

# bots/ and jobs/ are two independent ways into the domain: neither builds on the other.
TRANSPORTS = ("bots", "jobs")

# bots/ turn messages into service calls and answers into messages; the services do the database
# work. A session may pass through bots/ (to be handed to a service, committed or rolled back), but
# nothing in bots/ reads or changes rows with it: no statement builders, no query helpers, and no
# query or row method called on anything named like a session or connection. Nor a savepoint: which
# part of a change may fail alone is the service's decision.
DATABASE_MODULES = ("sqlalchemy", "sqlmodel")
ALLOWED_DATABASE_NAMES = frozenset({"AsyncSession"})  # the type of a session handed to a service
QUERY_HELPERS = frozenset({"run_core", "insert_missing"})  # app.core.db's statement runners
QUERY_METHODS = frozenset(
    {
        "exec",
        "execute",
        "scalar",
        "scalars",
        "scalar_one",
        "stream",
        "stream_scalars",
        "get",
        "get_one",
        "add",
        "add_all",
        "delete",
        "merge",
        "refresh",
        "flush",
        "begin_nested",
    }
)
SESSION_LIKE = ("session", "connection")


@dataclass(frozen=True, order=True)
class Import:
    path: str  # relative to the root, with forward slashes
    line: int
    module: str  # absolute and dotted; for `from app import alerts`, "app.alerts"

    def __str__(self) -> str:
        return f"{self.path}:{self.line} imports {self.module}"


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.what}"


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, root: Path) -> list[Import]:
    """Every import of a file, wherever it is written, with relative imports made absolute."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = _module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[Import] = []
    where = _relative(path, root)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(Import(where, node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            # `from app import alerts` names a package in the alias; `from app.alerts import x`
            # already names it in the module.
            for alias in node.names:
                dotted = f"{module}.{alias.name}" if module.count(".") < 1 else module
                found.append(Import(where, node.lineno, dotted))
    return sorted(set(found))


def python_files(root: Path, top: str) -> list[Path]:
    return sorted((root / top).rglob("*.py"))


def is_http_edge(path: Path, root: Path) -> bool:
    parts = path.relative_to(root / "app").parts
    return (
        (len(parts) == 1 and path.name in HTTP_EDGE_FILES)
        or path.name == DOMAIN_API_FILE
        or parts[0] in HTTP_EDGE_PACKAGES
    )


def domain_modules(root: Path = ROOT) -> list[Path]:
    """The files of app/ below its HTTP edge."""
    return [path for path in python_files(root, "app") if not is_http_edge(path, root)]


def package_of(path: Path, root: Path) -> str:
    return path.relative_to(root / "app").parts[0]


def app_package(module: str) -> str | None:
    """The package of app/ a dotted module lives in, or None outside app/."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "app" else None


Graph = dict[str, dict[str, list[Import]]]


def package_graph(root: Path = ROOT) -> Graph:
    """Which package of app/ imports which, through which imports (the HTTP edge left out)."""
    graph: Graph = {}
    for path in domain_modules(root):
        source = package_of(path, root)
        edges = graph.setdefault(source, {})
        for found in imports_of(path, root):
            target = app_package(found.module)
            if target is not None and target != source and target not in HTTP_EDGE_PACKAGES:
                edges.setdefault(target, []).append(found)
    return graph


def layer_of(package: str) -> int | None:
    return next((i for i, layer in enumerate(LAYERS) if package in layer), None)


def unlayered(graph: Graph) -> list[str]:
    """Packages LAYERS does not place: each must be given its layer."""
    named = set(graph) | {target for edges in graph.values() for target in edges}
    return sorted(package for package in named if layer_of(package) is None)


def back_imports(graph: Graph) -> dict[tuple[str, str], list[Import]]:
    """Imports of a package of the same or a higher layer, by (importer, imported)."""
    found: dict[tuple[str, str], list[Import]] = {}
    for source, edges in sorted(graph.items()):
        for target, imports in sorted(edges.items()):
            low, high = layer_of(source), layer_of(target)
            if low is not None and high is not None and high >= low:
                found[(source, target)] = imports
    return found


def cycles(graph: Graph) -> list[list[str]]:
    """The groups of packages that import each other, directly or through others (Tarjan's
    strongly connected components of more than one package), each sorted."""
    index: dict[str, int] = {}
    lowlink: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = lowlink[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, {})):
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
    return sorted(groups)


def mutual_imports(graph: Graph) -> list[tuple[str, str]]:
    """The pairs of packages that import each other directly: the shortest cycles."""
    return sorted(
        (source, target)
        for source, edges in graph.items()
        for target in edges
        if source < target and source in graph.get(target, {})
    )


def forbidden_in_domain(root: Path = ROOT) -> list[Import]:
    return [
        found
        for path in domain_modules(root)
        for found in imports_of(path, root)
        if found.module.split(".")[0] in FORBIDDEN_IN_DOMAIN
    ]


def transport_imports(root: Path = ROOT) -> list[Import]:
    """Imports of bots/ from jobs/ and of jobs/ from bots/."""
    found: list[Import] = []
    for top in TRANSPORTS:
        others = {other for other in TRANSPORTS if other != top}
        for path in python_files(root, top):
            found.extend(i for i in imports_of(path, root) if i.module.split(".")[0] in others)
    return found


def _receiver_name(node: ast.expr) -> str:
    """The last name of what a method is called on: `self.session` gives "session"."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Await):
        return _receiver_name(node.value)
    return ""


def _database_work(path: Path, root: Path) -> Iterator[Finding]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    where = _relative(path, root)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in DATABASE_MODULES:
                    yield Finding(where, node.lineno, f"imports {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = {alias.name for alias in node.names}
            if node.module.split(".")[0] in DATABASE_MODULES:
                for name in sorted(names - ALLOWED_DATABASE_NAMES):
                    yield Finding(where, node.lineno, f"imports {name} from {node.module}")
            elif node.module == "app.core.db":
                for name in sorted(names & QUERY_HELPERS):
                    yield Finding(where, node.lineno, f"imports {name} from {node.module}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in QUERY_METHODS
        ):
            receiver = _receiver_name(node.func.value).lower()
            if any(word in receiver for word in SESSION_LIKE):
                yield Finding(where, node.lineno, f"calls {receiver}.{node.func.attr}()")


def database_work_in_bots(root: Path = ROOT) -> list[Finding]:
    """Queries and row changes written in bots/ instead of a service."""
    return sorted(f for path in python_files(root, "bots") for f in _database_work(path, root))


def listing(root: Path = ROOT) -> tuple[str, bool]:
    """The import graph between the packages of app/ and every broken rule, as text; and
    whether all rules hold."""
    graph = package_graph(root)
    lines = ["Imports between the packages of app/ (HTTP edge left out), low layer to high:"]
    ordered = sorted(graph, key=lambda p: (layer_of(p) if layer_of(p) is not None else -1, p))
    for package in ordered:
        layer = layer_of(package)
        targets = ", ".join(sorted(graph[package])) or "-"
        lines.append(f"  {layer if layer is not None else '?':>2} {package:<10} -> {targets}")
    problems: list[str] = []
    for package in unlayered(graph):
        problems.append(f"  {package}: a package with no layer in tests/architecture.py LAYERS")
    for (source, target), imports in back_imports(graph).items():
        problems.append(f"  back-import {source} -> {target} ({_where(imports)})")
    for source, target in mutual_imports(graph):
        problems.append(f"  cycle {source} <-> {target}")
    for group in cycles(graph):
        problems.append(f"  cycle group: {', '.join(group)}")
    for found in forbidden_in_domain(root):
        problems.append(f"  domain imports a transport, framework or HTTP client: {found}")
    for found in transport_imports(root):
        problems.append(f"  between transports: {found}")
    for finding in database_work_in_bots(root):
        problems.append(f"  database work in bots/: {finding}")
    lines.append("Broken rules:" if problems else "Broken rules: none")
    lines.extend(problems)
    return "\n".join(lines), not problems


def _where(imports: list[Import]) -> str:
    return ", ".join(f"{i.path}:{i.line}" for i in imports)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.architecture", description=__doc__)
    parser.add_argument("--root", type=Path, default=ROOT, help="a checkout (default: this one)")
    args = parser.parse_args(argv)
    text, clean = listing(args.root.resolve())
    print(text)
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
