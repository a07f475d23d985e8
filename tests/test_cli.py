"""The `mic` command as a user runs it: a real process, real exit codes, real output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.db import Database
from app.sources.models import Source, SourceKind

MIC = [sys.executable, "-m", "app"]


def mic_env(database_url: str, **settings: str) -> dict[str, str]:
    """The environment of a `mic` process: this one's, without any MIC_ setting of the machine."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIC_")}
    env.update(MIC_DATABASE_URL=database_url, MIC_SECRET_KEY="cli-test-secret", COLUMNS="200")
    env.update(settings)
    return env


def mic(*args: str, database_url: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MIC, *args],
        capture_output=True,
        text=True,
        env=mic_env(database_url, **settings),
        timeout=120,
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], expected: str) -> None:
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]


def test_help_lists_every_command(tmp_path: Path) -> None:
    result = mic("--help", database_url=f"sqlite:///{tmp_path}/x.db")
    assert result.returncode == 0
    for command in ("run", "db", "seed", "token", "user", "collect", "import", "scheduler"):
        assert f" {command} " in result.stdout
    sub = mic("db", "--help", database_url=f"sqlite:///{tmp_path}/x.db")
    assert "upgrade" in sub.stdout and "current" in sub.stdout


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("nonsense", "MIC_DATABASE_URL 'nonsense' is not a database URL"),
        ("mysql://root@localhost/mic", "unsupported scheme 'mysql'"),
        (
            "postgresql://mic@127.0.0.1:1/mic",
            "cannot use the database postgresql+psycopg://mic@127.0.0.1:1/mic",
        ),
    ],
)
def test_bad_database_urls_fail_in_one_line(url: str, expected: str) -> None:
    assert_one_line_error(mic("db", "upgrade", database_url=url), expected)


def test_production_will_not_start_on_a_placeholder_secret(database_url: str) -> None:
    result = mic("run", database_url=database_url, MIC_ENV="production", MIC_SECRET_KEY="change-me")
    assert_one_line_error(result, "MIC_SECRET_KEY is a placeholder")


def test_invalid_settings_are_named(database_url: str) -> None:
    result = mic("db", "current", database_url=database_url, MIC_PORT="eighty")
    assert_one_line_error(result, "invalid setting: MIC_PORT")


def test_serving_an_unmigrated_database_is_refused(empty_database_url: str) -> None:
    result = mic("run", "--port", "1", database_url=empty_database_url)
    assert_one_line_error(result, "has no schema yet; run `mic db upgrade`")


def test_upgrade_seed_and_token_from_the_shell(empty_database_url: str) -> None:
    url = empty_database_url
    first = mic("db", "upgrade", database_url=url)
    assert first.returncode == 0 and "migrated empty -> " in first.stdout
    again = mic("db", "upgrade", database_url=url)
    assert again.returncode == 0 and "nothing to do" in again.stdout
    seeded = mic("seed", "demo", "--if-empty", database_url=url)
    assert "loaded demo catalogue: 4 countries" in seeded.stdout
    skipped = mic("seed", "demo", "--if-empty", database_url=url)
    assert "demo not loaded" in skipped.stdout
    created = mic("token", "create", "--name", "ana", "--role", "admin", database_url=url)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("mic_") and " " not in token
    listing = mic("token", "list", database_url=url)
    assert "ana" in listing.stdout and token not in listing.stdout
    bad_role = mic("token", "create", "--name", "x", "--role", "boss", database_url=url)
    assert bad_role.returncode != 0 and "Traceback" not in bad_role.stderr
    revoked = mic("token", "revoke", token[:12], database_url=url)
    assert revoked.returncode == 0 and "revoked" in revoked.stdout


def test_ask_answers_as_the_bot_would(database_url: str) -> None:
    seeded = mic("seed", "demo", database_url=database_url)
    assert seeded.returncode == 0, seeded.stderr
    result = mic("ask", "--from", "+959250123456", "JOIN သရက်သီး မူဆယ်", database_url=database_url)
    assert result.returncode == 0, result.stderr
    assert "သတိပေးချက် ထားပြီး: သရက်သီး မူဆယ်" in result.stdout
    english = mic(
        "ask", "--from", "+959250123456", "--locale", "en", "mango muse", database_url=database_url
    )
    assert english.stdout.strip() == "No recent price for Mango at Muse."
    bad = mic("ask", "--from", "not-a-phone", "mango", database_url=database_url)
    assert_one_line_error(bad, "not a phone number in international form")


async def test_import_a_wfp_file_through_its_source(
    database_url: str, database: Database, seeded: None, tmp_path: Path
) -> None:
    async with database.session() as session:
        session.add(
            Source(
                slug="wfp-mm",
                name="WFP Myanmar",
                kind=SourceKind.WFP_HDX,
                country_code="MM",
                url="https://data.humdata.org/api/3/action/package_show?id=wfp-food-prices-for-myanmar",
                schedule="30 6 * * 1",
                mapping={"create_missing": ["market", "commodity", "unit"]},
                trusted=True,
                created_by="test",
            )
        )
        await session.commit()
    sample = Path(__file__).parent / "data" / "collectors" / "wfp_food_prices_mmr_sample.csv"
    first = mic("import", "wfp", str(sample), "--source", "wfp-mm", database_url=database_url)
    assert first.returncode == 0, first.stderr
    assert "│ 1   │ succeeded │ 317  │ 317" in first.stdout, first.stdout
    again = mic("import", "wfp", str(sample), "--source", "wfp-mm", database_url=database_url)
    assert "│ 2   │ succeeded │ 317  │ 0        │ 0       │ 317" in again.stdout, again.stdout

    cut = tmp_path / "cut.csv"
    cut.write_bytes(sample.read_bytes()[:5000])
    assert_one_line_error(
        mic("import", "wfp", str(cut), "--source", "wfp-mm", database_url=database_url),
        "the download was cut off",
    )
    assert_one_line_error(mic("collect", "nope", database_url=database_url), "no source 'nope'")
