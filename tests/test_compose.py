"""compose.yaml runs what the README says, with `mic` commands that exist: the database, a
one-shot migration the others wait for, API replicas (no host port of their own, healthy when
/readyz answers) behind a proxy, one dispatcher and one scheduler. Docker is not needed: the
file is read as YAML, and each command line is checked against the `mic` command itself."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from app.cli import cli

COMPOSE = Path(__file__).resolve().parents[1] / "compose.yaml"


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded["services"]


def mic_lines(command: list[str]) -> list[list[str]]:
    """The `mic` command lines a service runs: itself, or each of an `sh -c "a && b"`."""
    if command[:2] == ["sh", "-c"]:
        return [shlex.split(part) for part in command[2].split("&&")]
    return [command]


def check_mic(argv: list[str]) -> None:
    """Fails unless `argv` names an existing `mic` command with options it takes."""
    assert argv[0] == "mic", argv
    command: Any = typer.main.get_command(cli)
    words = argv[1:]
    # Typer's groups hold their subcommands in `commands` (its click may not be the one
    # installed: no isinstance check).
    while hasattr(command, "commands") and words and not words[0].startswith("-"):
        assert words[0] in command.commands, f"no `mic ... {words[0]}`: {argv}"
        command = command.commands[words.pop(0)]
    assert not hasattr(command, "commands"), f"{argv} names a group, not a command"
    options = {name for param in command.params for name in param.opts}
    for word in words:
        if word.startswith("-"):
            assert word in options, f"`{' '.join(argv)}`: no option {word}"


def test_the_services_are_the_deployment_the_readme_describes(services: dict[str, Any]) -> None:
    assert set(services) == {"db", "migrate", "api", "dispatcher", "scheduler", "proxy"}
    assert services["db"]["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])


def test_every_command_is_a_mic_command_that_exists(services: dict[str, Any]) -> None:
    expected = {
        "migrate": [["db", "upgrade"], ["seed", "demo"]],
        "api": [["run"]],
        "dispatcher": [["dispatcher"]],
        "scheduler": [["scheduler"]],
    }
    for name, commands in expected.items():
        lines = mic_lines(services[name]["command"])
        assert [line[1 : 1 + len(c)] for line, c in zip(lines, commands, strict=True)] == commands
        for line in lines:
            check_mic(line)


def test_migrations_run_once_before_anything_else_starts(services: dict[str, Any]) -> None:
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    for name in ("api", "dispatcher", "scheduler"):
        assert services[name]["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"}
        }, name


def test_api_replicas_sit_behind_the_proxy_and_report_ready(services: dict[str, Any]) -> None:
    api = services["api"]
    assert "replicas" in api["deploy"]
    assert [name for name, s in services.items() if "ports" in s] == ["proxy"]
    assert "http://127.0.0.1:8000/readyz" in " ".join(api["healthcheck"]["test"])
    port = api["command"][api["command"].index("--port") + 1]
    proxy = services["proxy"]["command"]
    assert proxy[proxy.index("--to") + 1] == f"api:{port}"
    assert services["proxy"]["depends_on"] == {"api": {"condition": "service_healthy"}}
    # Sending and scheduling are their own services', not every replica's.
    assert api["environment"]["MIC_DISPATCHER"] == api["environment"]["MIC_SCHEDULER"] == "false"


def test_the_dispatcher_and_the_scheduler_report_health_on_their_metrics_port(
    services: dict[str, Any],
) -> None:
    for name in ("dispatcher", "scheduler"):
        service = services[name]
        port = service["environment"]["MIC_METRICS_PORT"]
        assert f"http://127.0.0.1:{port}/metrics" in " ".join(service["healthcheck"]["test"])
        assert service["environment"]["MIC_METRICS_HOST"] == "0.0.0.0"  # noqa: S104
        assert service["environment"]["MIC_DATABASE_URL"].startswith("postgresql://")
