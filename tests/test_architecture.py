"""The layering of tests/architecture.py, enforced: each rule holds on the code base, and each
fails on a violation planted in a copy of the layout under tmp_path."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests import architecture
from tests.architecture import (
    LAYERS,
    ROOT,
    Finding,
    Import,
    back_imports,
    cycles,
    database_work_in_bots,
    domain_modules,
    forbidden_in_domain,
    imports_of,
    listing,
    mutual_imports,
    package_graph,
    transport_imports,
    unlayered,
)


def plant(root: Path, files: dict[str, str]) -> Path:
    """A code base under `root` holding `files` (path -> source), packages made as needed."""
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    return root


# The rules, on this code base.


def test_the_scan_sees_the_whole_domain() -> None:
    modules = domain_modules()
    assert len(modules) > 50, "the scan found suspiciously few modules"
    assert ROOT / "app" / "core" / "db.py" in modules
    assert ROOT / "app" / "main.py" not in modules
    assert ROOT / "app" / "prices" / "api.py" not in modules


def test_every_package_has_a_layer() -> None:
    assert unlayered(package_graph()) == []


def test_no_package_imports_its_own_layer_or_a_higher_one() -> None:
    found = back_imports(package_graph())
    assert {edge: [str(i) for i in imports] for edge, imports in found.items()} == {}


def test_no_cycles_between_packages() -> None:
    graph = package_graph()
    assert (mutual_imports(graph), cycles(graph)) == ([], [])


def test_domain_modules_import_no_transport_framework_or_http_client() -> None:
    assert [str(i) for i in forbidden_in_domain()] == []


def test_bots_and_jobs_do_not_import_each_other() -> None:
    assert [str(i) for i in transport_imports()] == []


def test_bots_do_no_database_work() -> None:
    assert [str(f) for f in database_work_in_bots()] == []


def test_contributing_md_shows_the_layers_the_test_holds() -> None:
    """The table of layers in CONTRIBUTING.md: `| 2 | `catalogue`, `channels` | ... |` rows."""
    rows = [
        line.split("|")[1:3]
        for line in (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("| ") and line.split("|")[1].strip().isdigit()
    ]
    documented = {
        int(number): frozenset(name.strip(" `") for name in names.split(","))
        for number, names in rows
    }
    assert documented == dict(enumerate(LAYERS))


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


# Each rule fails on a planted violation.


def test_imports_are_found_wherever_they_are_written(tmp_path: Path) -> None:
    root = plant(
        tmp_path,
        {
            "app/alerts/__init__.py": "",
            "app/alerts/send.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n"
                "    from app.prices.models import Price\n"
                "def later():\n"
                "    import app.leads.service\n"
                "    from app import notices\n"
                "    from . import outbox\n"
                "    from ..core import db\n"
            ),
        },
    )
    found = imports_of(root / "app/alerts/send.py", root)
    assert [i.module for i in found] == [
        "typing.TYPE_CHECKING",
        "app.prices.models",
        "app.leads.service",
        "app.notices",
        "app.alerts",
        "app.core",
    ]
    assert found[1] == Import("app/alerts/send.py", 3, "app.prices.models")


def test_a_back_import_is_caught_and_the_http_edge_is_not(tmp_path: Path) -> None:
    root = plant(
        tmp_path,
        {
            "app/core/db.py": "def f():\n    from app.text.normalize import fold\n",
            "app/text/normalize.py": "from app.core.errors import InvalidInput\n",
            "app/prices/service.py": "from app.leads.models import BuyerLead\n",
            "app/prices/api.py": "from app.commands import handle\n",
            "app/api/router.py": "from app.inbound import sms\n",
            "app/main.py": "from app.alerts import outbox\n",
        },
    )
    found = back_imports(package_graph(root))
    assert {edge: [str(i) for i in imports] for edge, imports in found.items()} == {
        ("core", "text"): ["app/core/db.py:2 imports app.text.normalize"],
        ("prices", "leads"): ["app/prices/service.py:1 imports app.leads.models"],
    }


def test_two_packages_of_one_layer_may_not_import_each_other(tmp_path: Path) -> None:
    root = plant(tmp_path, {"app/producers/service.py": "from app.notices import service\n"})
    assert list(back_imports(package_graph(root))) == [("producers", "notices")]


def test_a_package_without_a_layer_is_caught(tmp_path: Path) -> None:
    root = plant(tmp_path, {"app/reports/pages.py": "from app.prices import reads\n"})
    assert unlayered(package_graph(root)) == ["reports"]


def test_cycles_are_caught_direct_and_through_others(tmp_path: Path) -> None:
    root = plant(
        tmp_path,
        {
            "app/alerts/a.py": "from app.commands import handle\n",
            "app/commands/handle.py": "def f():\n    from app.alerts import a\n",
            "app/prices/p.py": "from app.leads import models\n",
            "app/leads/models.py": "from app.sources import s\n",
            "app/sources/s.py": "import app.prices.p\n",
        },
    )
    graph = package_graph(root)
    assert mutual_imports(graph) == [("alerts", "commands")]
    assert cycles(graph) == [["alerts", "commands"], ["leads", "prices", "sources"]]


def test_a_transport_or_http_client_in_the_domain_is_caught(tmp_path: Path) -> None:
    root = plant(
        tmp_path,
        {
            "app/prices/fx.py": "def fetch():\n    import httpx\n",
            "app/alerts/service.py": "from fastapi import HTTPException\nfrom jobs import x\n",
            "app/alerts/api.py": "from fastapi import APIRouter\n",
            "app/cli.py": "import httpx\n",
        },
    )
    assert [str(i) for i in forbidden_in_domain(root)] == [
        "app/alerts/service.py:1 imports fastapi.HTTPException",
        "app/alerts/service.py:2 imports jobs.x",
        "app/prices/fx.py:2 imports httpx",
    ]


def test_bots_importing_jobs_and_jobs_importing_bots_are_caught(tmp_path: Path) -> None:
    root = plant(
        tmp_path,
        {
            "bots/sms/webhook.py": "from jobs.inbound import receive_sms\nimport app.core\n",
            "jobs/dispatcher.py": "def f():\n    from bots.telegram import channel\n",
            "jobs/collect.py": "from jobs import collectors\n",
        },
    )
    assert [str(i) for i in transport_imports(root)] == [
        "bots/sms/webhook.py:1 imports jobs.inbound",
        "jobs/dispatcher.py:2 imports bots.telegram",
    ]


def test_database_work_in_bots_is_caught(tmp_path: Path) -> None:
    root = plant(
        tmp_path,
        {
            "bots/telegram/menus.py": (
                "from sqlmodel import col, select\n"
                "from sqlmodel.ext.asyncio.session import AsyncSession\n"
                "from app.core.db import Database, run_core\n"
                "import sqlalchemy as sa\n"
                "async def screen(session: AsyncSession, context):\n"
                "    await session.exec(select(1))\n"
                "    await self.session.get(Producer, 1)\n"
                "    db_session.add(row)\n"
                "    await connection.execute(statement)\n"
                "    context.user_data.get('locale')\n"
                "    await session.commit()\n"
                "    async with session.begin_nested():\n"
                "        pass\n"
            ),
        },
    )
    assert database_work_in_bots(root) == [
        Finding("bots/telegram/menus.py", 1, "imports col from sqlmodel"),
        Finding("bots/telegram/menus.py", 1, "imports select from sqlmodel"),
        Finding("bots/telegram/menus.py", 3, "imports run_core from app.core.db"),
        Finding("bots/telegram/menus.py", 4, "imports sqlalchemy"),
        Finding("bots/telegram/menus.py", 6, "calls session.exec()"),
        Finding("bots/telegram/menus.py", 7, "calls session.get()"),
        Finding("bots/telegram/menus.py", 8, "calls db_session.add()"),
        Finding("bots/telegram/menus.py", 9, "calls connection.execute()"),
        Finding("bots/telegram/menus.py", 12, "calls session.begin_nested()"),
    ]


def test_the_listing_shows_the_graph_and_every_broken_rule(tmp_path: Path) -> None:
    clean = plant(
        tmp_path / "clean",
        {
            "app/core/db.py": "",
            "app/text/normalize.py": "from app.core import errors\n",
            "bots/sms/webhook.py": "from app.text import normalize\n",
        },
    )
    text, ok = listing(clean)
    assert ok, text
    assert text.splitlines()[1:] == [
        "   0 core       -> -",
        "   1 text       -> core",
        "Broken rules: none",
    ]
    broken = plant(
        tmp_path / "broken",
        {
            "app/core/csvfile.py": "from app.text.normalize import decode_text\n",
            "app/text/normalize.py": "from app.core.errors import InvalidInput\n",
            "bots/telegram/application.py": "from jobs.leader import Leadership\n",
        },
    )
    text, ok = listing(broken)
    assert not ok
    assert text.splitlines()[3:] == [
        "Broken rules:",
        "  back-import core -> text (app/core/csvfile.py:1)",
        "  cycle core <-> text",
        "  cycle group: core, text",
        "  between transports: bots/telegram/application.py:1 imports jobs.leader",
    ]


def test_the_command_exits_1_on_a_broken_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = plant(tmp_path / "broken", {"app/core/db.py": "from app.prices import models\n"})
    assert architecture.main(["--root", str(root)]) == 1
    assert "  back-import core -> prices (app/core/db.py:1)" in capsys.readouterr().out.splitlines()
    assert architecture.main(["--root", str(plant(tmp_path / "ok", {"app/core/db.py": ""}))]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "Broken rules: none"
