"""A private PostgreSQL cluster for benchmarks that restart the database: the machine's own
cluster serves other work (and the test suite), so it is never the one restarted.

Debian's postgresql-common makes it: `pg_createcluster VERSION mic_survival_PID -p PORT`,
trusted on loopback (where alone it listens), started for the bench, restarted on demand, and
stopped and dropped at the end whatever happens. The bench's process id in its name keeps two
benches on one machine (two test runs) apart; a cluster whose bench died without dropping it
is dropped by the next. Run as root (the cluster belongs to the postgres user) or as postgres.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

from bench.dispatch import _free_port

PREFIX = "mic_survival_"


class ClusterUnavailable(RuntimeError):
    """This machine cannot make a private cluster (no postgresql-common, no server)."""


@dataclass(frozen=True)
class Cluster:
    version: str
    name: str
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def restart(self) -> None:
        _run("pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, "restart")


def _run(*command: str) -> str:
    done = subprocess.run(  # noqa: S603 - postgresql-common's tools, fixed arguments
        command, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise ClusterUnavailable(
            f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()}"
        )
    return done.stdout


def _clusters() -> list[tuple[str, str]]:
    """(version, name) of every cluster on this machine."""
    rows = _run("pg_lsclusters", "--no-header").splitlines()
    return [(row.split()[0], row.split()[1]) for row in rows if row.strip()]


def _installed_version() -> str:
    for tool in ("pg_createcluster", "pg_ctlcluster", "pg_dropcluster", "pg_lsclusters"):
        if shutil.which(tool) is None:
            raise ClusterUnavailable(
                f"{tool} is missing: the survival bench makes a PostgreSQL cluster of its own "
                "with Debian's postgresql-common (apt-get install postgresql), so that it never "
                "restarts a server other work uses"
            )
    versions = sorted({v for v, _ in _clusters()}, key=lambda v: [int(p) for p in v.split(".")])
    if not versions:
        raise ClusterUnavailable("no PostgreSQL server version is installed (pg_lsclusters)")
    return versions[-1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _drop_orphans() -> None:
    """Clusters of benches that were killed before they could drop theirs."""
    for version, name in _clusters():
        owner = name.removeprefix(PREFIX)
        if name.startswith(PREFIX) and owner.isdigit() and not _alive(int(owner)):
            _run("pg_dropcluster", "--stop", version, name)


@contextlib.contextmanager
def private_cluster() -> Iterator[Cluster]:
    version = _installed_version()
    _drop_orphans()
    cluster = Cluster(version, f"{PREFIX}{os.getpid()}", _free_port())
    try:
        _run(
            "pg_createcluster",
            version,
            cluster.name,
            "-p",
            str(cluster.port),
            "--",
            "--auth-host=trust",
            "--auth-local=trust",
        )
        _run("pg_ctlcluster", "--skip-systemctl-redirect", version, cluster.name, "start")
        yield cluster
    finally:
        if (version, cluster.name) in _clusters():
            _run("pg_dropcluster", "--stop", version, cluster.name)
