"""The layering of DESIGN.md, enforced: the domain never imports transports or frameworks."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN_IN_DOMAIN = ("fastapi", "starlette", "telegram", "bots", "jobs", "uvicorn")
# The HTTP edge of app/: the composition root, the CLI, each domain's api.py and app/api/.
HTTP_EDGE = {"main.py", "cli.py", "api.py"}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def domain_modules() -> list[Path]:
    modules = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        relative = path.relative_to(ROOT / "app")
        if path.name in HTTP_EDGE or relative.parts[0] == "api":
            continue
        modules.append(path)
    return modules


def test_domain_modules_import_no_transport_or_framework() -> None:
    modules = domain_modules()
    assert len(modules) > 10, "the scan found suspiciously few modules"
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_roots(path) & set(FORBIDDEN_IN_DOMAIN))
        for path in modules
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_scan_catches_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "service.py"
    bad.write_text("from fastapi import HTTPException\nimport telegram.ext\nfrom jobs import x\n")
    assert imported_roots(bad) & set(FORBIDDEN_IN_DOMAIN) == {"fastapi", "telegram", "jobs"}


def test_services_never_raise_http_exceptions() -> None:
    for path in (ROOT / "app").rglob("service.py"):
        assert "HTTPException" not in path.read_text(encoding="utf-8"), path


def test_every_package_says_what_lives_there() -> None:
    for init in ROOT.glob("*/**/__init__.py"):
        if any(part in {".venv", "tests", "var"} for part in init.relative_to(ROOT).parts):
            continue
        if init.parent.name == "versions":
            continue
        docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert docstring, f"{init.relative_to(ROOT)} has no docstring"
