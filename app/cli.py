"""The `mic` command: serve, migrate, seed and manage staff users and tokens, all on
MIC_DATABASE_URL."""

from __future__ import annotations

import asyncio
import functools
import getpass
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import DBAPIError

from app.accounts import service as accounts
from app.accounts import users
from app.accounts.actor import Actor
from app.accounts.models import Role
from app.catalogue import service as catalogue
from app.core import backup, migrations
from app.core.config import Settings
from app.core.db import Database, DatabaseUrl, describe_connection_error, parse_database_url
from app.core.db_contents import Contents
from app.core.errors import AppError
from app.core.heap import freeze_startup_heap
from app.core.i18n import require_catalogs
from app.core.logging import configure_logging
from app.core.metrics import Metrics

cli = typer.Typer(
    name="mic",
    help="Mekong Market Information Centre: market prices and buyer leads for CLMV producers.",
    no_args_is_help=True,
    add_completion=False,
)
db_cli = typer.Typer(help="Database schema migrations.", no_args_is_help=True)
seed_cli = typer.Typer(help="Load reference data.", no_args_is_help=True)
token_cli = typer.Typer(help="Staff API tokens.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(seed_cli, name="seed")
cli.add_typer(token_cli, name="token")
user_cli = typer.Typer(help="Staff users of the web console.", no_args_is_help=True)
cli.add_typer(user_cli, name="user")
import_cli = typer.Typer(help="Import downloaded files.", no_args_is_help=True)
cli.add_typer(import_cli, name="import")

err = Console(stderr=True)
out = Console()

P = ParamSpec("P")
R = TypeVar("R")


def _fail(message: str) -> typer.Exit:
    err.print(f"[bold red]mic: error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=1)


def one_line_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Expected failures (bad settings, unreachable database, bad input) print one line, exit 1."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except AppError as exc:
            raise _fail(str(exc.detail)) from None
        except ValidationError as exc:
            problems = "; ".join(
                f"MIC_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
                for e in exc.errors()
            )
            raise _fail(f"invalid setting: {problems}") from None
        except DBAPIError as exc:
            raise _fail(
                describe_connection_error(exc, parse_database_url(Settings().database_url))
            ) from None

    return wrapper


def _settings() -> Settings:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    return settings


def _require_ready_to_serve(settings: Settings) -> DatabaseUrl:
    """What a long-running process checks before it starts: the schema and every catalog, so it
    never reports healthy and then fails on its first message."""
    url = parse_database_url(settings.database_url)
    migrations.require_current_schema(url)
    require_catalogs(settings.locales_dir)
    return url


def _with_session(settings: Settings, work: Callable[[Any], Awaitable[R]]) -> R:
    """Run one async unit of work in its own transaction, like an API request or a job."""

    async def go() -> R:
        database = Database.from_settings(settings)
        try:
            async with database.session() as session:
                return await work(session)
        finally:
            await database.dispose()

    return asyncio.run(go())


@cli.command()
@one_line_errors
def run(
    host: Annotated[str | None, typer.Option(help="Interface to listen on (MIC_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (MIC_PORT)")] = None,
) -> None:
    """Serve the API with the outbox dispatcher (MIC_DISPATCHER=false leaves it to
    `mic dispatcher` processes)."""
    import uvicorn

    from app.main import create_app

    settings = _settings()
    settings.check_production_secrets()
    url = _require_ready_to_serve(settings)
    host = host or settings.host
    port = port or settings.port
    app = create_app(settings, own_process=True)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
    out.print(f"MIC {app.version} on {url.display()}", highlight=False)
    out.print(f"  API:      http://{shown}:{port}/api/v1", highlight=False)
    out.print(f"  API docs: http://{shown}:{port}/docs", highlight=False)
    out.print(f"  Console:  http://{shown}:{port}/console/", highlight=False)
    out.print(
        "  First console user: .venv/bin/mic user create --name YOUR-NAME --role admin",
        highlight=False,
    )
    out.print(
        "  Admin token: .venv/bin/mic token create --name YOUR-NAME --role admin", highlight=False
    )
    uvicorn.run(app, host=host, port=port, log_config=None, **proxy_options(settings))


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn takes the client's address (and the scheme) from X-Forwarded-For (and -Proto)
    only on requests from MIC_TRUSTED_PROXIES, so the address the public rate limits count by
    cannot be forged from anywhere else."""
    return {
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": settings.trusted_proxies or None,
    }


@cli.command()
@one_line_errors
def dispatcher() -> None:
    """Run an outbox dispatcher alone (any number of them may share a PostgreSQL database);
    its metrics are served on MIC_METRICS_PORT when that is set."""
    from app.api.metrics import metrics_port
    from bots.sms.channel import build_gateway
    from bots.telegram.channel import build_telegram_channel
    from jobs.dispatcher import outbound_channels, run_dispatcher

    settings = _settings()
    url = _require_ready_to_serve(settings)
    out.print(f"dispatcher on {url.display()}; Ctrl-C stops it", highlight=False)
    channels = outbound_channels(build_gateway(settings), build_telegram_channel(settings))
    metrics = Metrics(settings.process_label)

    async def go() -> None:
        async with metrics_port(metrics, settings):
            await run_dispatcher(settings, channels, metrics=metrics)

    freeze_startup_heap()
    asyncio.run(go())


@cli.command()
@one_line_errors
def scheduler() -> None:
    """Run the scheduler alone (on PostgreSQL it waits its turn: one leader at a time); its
    metrics, and while it leads the database's, are served on MIC_METRICS_PORT when set."""
    from app.api.metrics import metrics_port
    from jobs.scheduler import run_scheduler

    settings = _settings()
    url = _require_ready_to_serve(settings)
    out.print(f"scheduler on {url.display()}; Ctrl-C stops it", highlight=False)
    metrics = Metrics(settings.process_label)

    async def go() -> None:
        database = Database.from_settings(settings)
        try:
            async with metrics_port(metrics, settings):
                await run_scheduler(database, settings, metrics=metrics)
        finally:
            await database.dispose()

    freeze_startup_heap()
    asyncio.run(go())


@cli.command()
@one_line_errors
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print the same facts as JSON")] = False,
) -> None:
    """One screen for the technician: the outbox, today's SMS against the budgets, inbound
    messages, the jobs' last runs, who leads, and whether the schema is current."""
    from app.ops.screen import status_screen
    from app.ops.status import gather_status

    settings = _settings()

    async def go() -> Any:
        database = Database.from_settings(settings)
        try:
            return await gather_status(database, settings)
        finally:
            await database.dispose()

    report = asyncio.run(go())
    if as_json:
        print(report.model_dump_json(indent=2))
        return
    shown = parse_database_url(settings.database_url).display()
    out.print(status_screen(report, database=shown))


def _run_source(settings: Settings, ref: str, content_from: Path | None = None) -> None:
    """Run a source in this process with a progress display, then print its counts."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from app.sources.models import RunStatus, RunTrigger
    from app.sources.service import find_source
    from jobs import collect
    from jobs.collectors import wfp_hdx

    raw = content_from.read_bytes() if content_from is not None else None

    async def go() -> Any:
        database = Database.from_settings(settings)
        try:
            async with database.session() as session:
                source = await find_source(session, ref)

            with Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                TimeElapsedColumn(),
                console=err,
                transient=True,
            ) as progress:
                # A run has three stages: fetch (or read the file), import, record.
                task = progress.add_task(f"{source.slug}: starting", total=collect.STAGES)
                return await collect.run_source(
                    database,
                    source.id or 0,
                    trigger=RunTrigger.CLI,
                    settings=settings,
                    offline=None if raw is None else functools.partial(wfp_hdx.read_file, raw),
                    progress=lambda stage: progress.update(
                        task, description=f"{source.slug}: {stage}", advance=1
                    ),
                )
        finally:
            await database.dispose()

    run = asyncio.run(go())
    table = Table(
        "run", "status", "seen", "inserted", "updated", "unchanged", "unmapped", "rejected"
    )
    table.add_row(
        *(
            str(v)
            for v in (
                run.id,
                run.status,
                run.seen,
                run.inserted,
                run.updated,
                run.unchanged,
                run.unmapped,
                run.rejected,
            )
        )
    )
    out.print(table)
    for problem in run.problems[:10]:
        out.print(f"  line {problem['line']}: {problem['reason']}", highlight=False)
    if run.status == RunStatus.FAILED:
        raise _fail(run.error or "the run failed")
    if run.error:
        out.print(run.error, highlight=False)


@cli.command()
@one_line_errors
def collect(source: Annotated[str, typer.Argument(help="Source id or slug")]) -> None:
    """Run one source now, here, and print what it did (also recorded as a job run)."""
    _run_source(_settings(), source)


@import_cli.command("wfp")
@one_line_errors
def import_wfp(
    file: Annotated[
        Path,
        typer.Argument(
            help="A WFP food-price CSV downloaded from HDX", exists=True, dir_okay=False
        ),
    ],
    source: Annotated[str, typer.Option(help="The wfp_hdx source (id or slug) it belongs to")],
) -> None:
    """Import a downloaded WFP file through its source: same mapping, same keys, so a later
    scheduled run of the source does not import it again."""
    _run_source(_settings(), source, content_from=file)


@db_cli.command("upgrade")
@one_line_errors
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision")] = "head",
) -> None:
    """Migrate the database to the newest schema. Running it again changes nothing."""
    url = parse_database_url(_settings().database_url)
    before, after = migrations.upgrade(url, revision)
    if before == after:
        out.print(f"database {url.display()} already at {after}; nothing to do", highlight=False)
    else:
        out.print(
            f"database {url.display()} migrated {before or 'empty'} -> {after}", highlight=False
        )


@db_cli.command("downgrade")
@one_line_errors
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target revision, or base")]) -> None:
    """Step the schema back (data in dropped tables is lost)."""
    url = parse_database_url(_settings().database_url)
    migrations.downgrade(url, revision)
    out.print(f"database {url.display()} now at {migrations.current_revision(url) or 'base'}")


@db_cli.command("current")
@one_line_errors
def db_current() -> None:
    """Show the schema revision of the database and the one this code needs."""
    url = parse_database_url(_settings().database_url)
    current, head = migrations.current_revision(url), migrations.head_revision()
    state = "up to date" if current == head else "needs `mic db upgrade`"
    out.print(
        f"{url.display()}: {current or 'empty'} (code needs {head}; {state})", highlight=False
    )


@db_cli.command("backup")
@one_line_errors
def db_backup(
    path: Annotated[Path, typer.Argument(help="The backup file to write")],
    force: Annotated[bool, typer.Option("--force", help="Replace a file already at PATH")] = False,
) -> None:
    """Back the database up to one file, safely while MIC runs: SQLite's online backup, or
    pg_dump's custom format on PostgreSQL."""
    url = parse_database_url(_settings().database_url)
    report = backup.backup_database(url, path, force=force)
    out.print(
        f"backup of {url.display()} written to {report.path} "
        f"({_size(report.size)}): {report.contents.summary()}",
        highlight=False,
        soft_wrap=True,
    )
    _print_rows(report.contents)


@db_cli.command("restore")
@one_line_errors
def db_restore(
    path: Annotated[Path, typer.Argument(help="A file written by `mic db backup`")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace a database that already holds data")
    ] = False,
) -> None:
    """Restore a backup into the database of MIC_DATABASE_URL (stop MIC first). A database
    that holds anything is only replaced with --force."""
    url = parse_database_url(_settings().database_url)
    report = backup.restore_database(url, path, force=force)
    out.print(
        f"restored {report.source} into {url.display()}: {report.contents.summary()}",
        highlight=False,
        soft_wrap=True,
    )
    _print_rows(report.contents)
    out.print(f"schema: {report.schema}", highlight=False, soft_wrap=True)


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    value, unit = size / 1024, "KB"
    for bigger in ("MB", "GB"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    return f"{value:.1f} {unit}"


def _print_rows(contents: Contents) -> None:
    """The tables that hold rows, largest first (a pg_dump archive counts none)."""
    busiest = contents.busiest
    if not busiest:
        return
    table = Table("table", "rows")
    for name, rows in busiest:
        table.add_row(name, str(rows))
    out.print(table)


@seed_cli.command("demo")
@one_line_errors
def seed_demo(
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Only load into a database with no catalogue yet")
    ] = False,
) -> None:
    """Load the demo CLMV catalogue: countries, markets, commodities, varieties, units, aliases."""
    settings = _settings()
    migrations.require_current_schema(parse_database_url(settings.database_url))

    async def work(session: Any) -> str:
        if if_empty and not await catalogue.catalogue_is_empty(session):
            return "catalogue present; demo not loaded"
        report = await catalogue.load_demo_catalogue(session)
        return report.summary()

    out.print(_with_session(settings, work), highlight=False)


def _cli_actor() -> Actor:
    """Who ran a `mic` command, for the audit log: the operating-system user."""
    try:
        return Actor.cli(getpass.getuser())
    except (KeyError, OSError):  # no user name in a bare container
        return Actor.cli(None)


@token_cli.command("create")
@one_line_errors
def token_create(
    name: Annotated[
        str, typer.Option(help="Whose token this is (a staff user, created on first use)")
    ],
    role: Annotated[Role, typer.Option(help="admin, cde or viewer")],
    country: Annotated[
        list[str] | None, typer.Option(help="Country the token may see (repeat for several)")
    ] = None,
) -> None:
    """Issue an API token. It is printed once, alone on the last line; only a hash is kept."""
    settings = _settings()
    migrations.require_current_schema(parse_database_url(settings.database_url))

    async def work(session: Any) -> accounts.IssuedToken:
        return await accounts.create_token(
            session,
            name=name,
            role=role,
            countries=country or [],
            key=settings.secret_key.get_secret_value(),
            actor=_cli_actor(),
        )

    issued = _with_session(settings, work)
    scope = ", ".join(issued.record.countries) or "all countries"
    out.print(
        f"token {issued.record.id} for {issued.record.name} ({issued.record.role}, {scope}); "
        "store it now, it is not shown again:",
        highlight=False,
    )
    print(issued.token)


def _password_from_stdin() -> str:
    """The first line of standard input, for scripts that set a known password."""
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise _fail("--password-stdin: standard input holds no password")
    return line


def _print_password(issued: users.IssuedPassword, what: str, *, chosen: bool) -> None:
    if chosen:
        out.print(
            f"{what} {issued.name}; the password from standard input is set, to be replaced "
            "at the first sign-in at /console",
            highlight=False,
        )
        return
    out.print(
        f"{what} {issued.name}; their one-time password, to be replaced at the first sign-in "
        "at /console, is not shown again:",
        highlight=False,
    )
    print(issued.password)


@user_cli.command("create")
@one_line_errors
def user_create(
    name: Annotated[str, typer.Option(help="The name they sign in with")],
    role: Annotated[Role, typer.Option(help="admin, cde or viewer")],
    country: Annotated[
        list[str] | None, typer.Option(help="Country they may see (repeat for several)")
    ] = None,
    locale: Annotated[
        str, typer.Option(help="Language of their console pages: en, my, km, lo or vi")
    ] = "en",
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the one-time password from standard input"),
    ] = False,
) -> None:
    """Create a staff user of the console. A one-time password is printed alone on the last
    line (or read from standard input); they choose their own at their first sign-in."""
    settings = _settings()
    migrations.require_current_schema(parse_database_url(settings.database_url))
    password = _password_from_stdin() if password_stdin else None

    async def work(session: Any) -> users.IssuedPassword:
        return await users.create_user(
            session,
            name=name,
            role=role,
            countries=country or [],
            locale=locale,
            password=password,
            actor=_cli_actor(),
        )

    issued = _with_session(settings, work)
    scope = ", ".join(issued.user.countries or []) or "all countries"
    _print_password(issued, f"{role} ({scope})", chosen=password is not None)


@user_cli.command("password")
@one_line_errors
def user_password(
    name: Annotated[str, typer.Argument(help="The staff user's name")],
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the one-time password from standard input"),
    ] = False,
) -> None:
    """Reset a staff user's password to a new one-time password (printed alone on the last
    line): their console sessions end, and a lock after failed sign-ins is lifted."""
    settings = _settings()
    migrations.require_current_schema(parse_database_url(settings.database_url))
    password = _password_from_stdin() if password_stdin else None

    async def work(session: Any) -> users.IssuedPassword:
        return await users.reset_password(session, name=name, password=password, actor=_cli_actor())

    issued = _with_session(settings, work)
    _print_password(issued, "new password for", chosen=password is not None)


@token_cli.command("list")
@one_line_errors
def token_list() -> None:
    """List tokens (never the tokens themselves)."""
    settings = _settings()
    migrations.require_current_schema(parse_database_url(settings.database_url))
    tokens = _with_session(settings, accounts.list_tokens)
    table = Table("id", "name", "role", "countries", "prefix", "created", "last used", "revoked")
    for t in tokens:
        table.add_row(
            str(t.id),
            t.name,
            t.role,
            ",".join(t.countries) or "all",
            t.prefix,
            f"{t.created_at:%Y-%m-%d %H:%M}",
            f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "-",
            f"{t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "-",
        )
    out.print(table)


@token_cli.command("revoke")
@one_line_errors
def token_revoke(token: Annotated[str, typer.Argument(help="Token id or prefix")]) -> None:
    """Revoke a token at once; requests with it get 401 from then on."""
    settings = _settings()
    migrations.require_current_schema(parse_database_url(settings.database_url))

    async def work(session: Any) -> Any:
        return await accounts.revoke_token(session, token_ref=token, actor=_cli_actor())

    record = _with_session(settings, work)
    out.print(f"token {record.id} of {record.name} revoked", highlight=False)


@cli.command()
@one_line_errors
def ask(
    text: Annotated[str, typer.Argument(help="The message, as a producer would type it")],
    sender: Annotated[
        str, typer.Option("--from", help="The sender's phone (+959...) or telegram:<chat id>")
    ] = "+959250000000",
    locale: Annotated[
        str | None, typer.Option(help="Answer in this language (en, my, km, lo, vi, zh)")
    ] = None,
    channel: Annotated[str, typer.Option(help="sms or telegram: how replies are shaped")] = "sms",
) -> None:
    """Talk to the bot without any gateway: the whole path, as if SENDER had sent TEXT."""
    from app.commands.handle import Sender, handle_text
    from app.commands.parse import load_parser
    from app.core.i18n import check_locale
    from app.text.phones import phone_e164

    settings = _settings()
    migrations.require_current_schema(parse_database_url(settings.database_url))
    if locale is not None:
        check_locale(locale)
    if channel not in ("sms", "telegram"):
        raise typer.BadParameter("--channel is sms or telegram")
    urn = sender if sender.startswith("telegram:") else f"tel:{phone_e164(sender, None)}"

    async def work(session: Any) -> list[str]:
        parser = await load_parser(session, default_locale=settings.default_locale)
        return await handle_text(
            session,
            parser=parser,
            text=text,
            sender=Sender(urn, channel, locale),
            settings=settings,
        )

    for reply in _with_session(settings, work):
        print(reply)
        print()


def main() -> None:
    cli()
