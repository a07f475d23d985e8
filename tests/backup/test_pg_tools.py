"""pg_dump as MIC finds and runs it: the newest on the machine, a clear line when it is missing or
older than the server, and a password that never reaches a command line or a message."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from app.core import backup, pg_backup
from app.core.db import parse_database_url, sync_engine
from app.core.errors import ConfigurationError, InvalidInput
from tests.conftest import ENGINE

pytestmark = pytest.mark.skipif(ENGINE != "postgresql", reason="pg_dump is used on PostgreSQL only")

PASSWORD = "pw-never-shown-42"


def fake_tool(folder: Path, name: str, *, version: str, record: Path | None = None) -> None:
    """A `name` that says it is PostgreSQL `version`; when run for real it records how it was
    called and fails."""
    folder.mkdir(exist_ok=True)
    script = folder / name
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        f"if sys.argv[1:] == ['--version']:\n    print('{name} (PostgreSQL) {version}')\n"
        "    sys.exit(0)\n"
        f"open({str(record)!r}, 'w').write(json.dumps("
        "{'argv': sys.argv, 'password': os.environ.get('PGPASSWORD')}))\n"
        f"sys.stderr.write('{name}: error: recorded and stopped\\n')\n"
        "sys.exit(1)\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def server(database_url: str) -> int:
    """The major version of the PostgreSQL server under test."""
    engine = sync_engine(parse_database_url(database_url))
    try:
        with engine.connect() as connection:
            return int(connection.execute(sa.text("SHOW server_version_num")).scalar_one()) // 10000
    finally:
        engine.dispose()


@pytest.fixture
def only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A machine whose only PostgreSQL tools are those put in the returned folder."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))
    monkeypatch.setattr(pg_backup, "DEBIAN_BINARIES", tmp_path / "no-postgresql")
    return folder


def test_a_missing_pg_dump_says_how_to_install_and_run_it(
    database_url: str, server: int, only: Path, tmp_path: Path
) -> None:
    url = make_url(database_url).set(password=PASSWORD).render_as_string(hide_password=False)
    path = tmp_path / "mic.backup"

    with pytest.raises(ConfigurationError) as refused:
        backup.backup_database(parse_database_url(url), path)

    message = str(refused.value)
    assert message.startswith("pg_dump is not installed (looked on PATH and in ")
    assert f"apt-get install postgresql-client-{server}" in message  # the server's version
    plain = make_url(database_url).set(drivername="postgresql")
    assert f"PGPASSWORD=... pg_dump --format=custom --dbname '{plain}'" in message
    assert f"--file '{path}'" in message
    assert PASSWORD not in message and "\n" not in message
    assert not path.exists() and not list(tmp_path.glob(".*.partial"))


def test_a_pg_dump_older_than_the_server_is_named(
    database_url: str, server: int, only: Path, tmp_path: Path
) -> None:
    fake_tool(only, "pg_dump", version=f"{server - 1}.4")

    with pytest.raises(ConfigurationError) as refused:
        backup.backup_database(parse_database_url(database_url), tmp_path / "mic.backup")

    assert str(refused.value).startswith(
        f"pg_dump {server - 1} ({only / 'pg_dump'}) cannot dump a PostgreSQL {server} server; "
        f"install the client of version {server} or newer (Debian/Ubuntu: apt-get install "
        f"postgresql-client-{server})"
    )


def test_the_password_goes_through_the_environment_only(
    database_url: str, only: Path, tmp_path: Path
) -> None:
    record = tmp_path / "called.json"
    fake_tool(only, "pg_dump", version="99.0", record=record)
    url = make_url(database_url).set(password=PASSWORD).render_as_string(hide_password=False)

    with pytest.raises(InvalidInput) as failed:
        backup.backup_database(parse_database_url(url), tmp_path / "mic.backup")

    called = json.loads(record.read_text())
    assert called["password"] == PASSWORD
    assert not any(PASSWORD in argument for argument in called["argv"])
    assert "--format=custom" in called["argv"] and "--no-password" in called["argv"]
    assert str(failed.value) == "pg_dump failed: recorded and stopped"
    assert not list(tmp_path.glob(".*.partial"))
