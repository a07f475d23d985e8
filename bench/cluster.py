"""A private PostgreSQL cluster for benchmarks that restart the database: the machine's own
cluster serves other work (and the test suite), so it is never the one restarted.

Debian's postgresql-common makes it: `pg_createcluster VERSION mic_survival -p PORT`, trusted
on loopback only, started for the bench, restarted on demand, and stopped and dropped at the
end whatever happens. Run as root (the cluster belongs to the postgres user) or as postgres.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

from bench.dispatch import _free_port

NAME = "mic_survival"


class ClusterUnavailable(RuntimeError):
    """This machine cannot make a private cluster (no postgresql-common, no server)."""


@dataclass(frozen=True)
class Cluster:
    version: str
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def restart(self) -> None:
        _run("pg_ctlcluster", "--skip-systemctl-redirect", self.version, NAME, "restart")


def _run(*command: str) -> str:
    done = subprocess.run(  # noqa: S603 - postgresql-common's tools, fixed arguments
        command, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise ClusterUnavailable(
            f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()}"
        )
    return done.stdout


def _installed_version() -> str:
    for tool in ("pg_createcluster", "pg_ctlcluster", "pg_dropcluster", "pg_lsclusters"):
        if shutil.which(tool) is None:
            raise ClusterUnavailable(
                f"{tool} is missing: the survival bench makes a PostgreSQL cluster of its own "
                "with Debian's postgresql-common (apt-get install postgresql), so that it never "
                "restarts a server other work uses"
            )
    versions = sorted(
        (line.split()[0] for line in _run("pg_lsclusters", "--no-header").splitlines() if line),
        key=lambda v: [int(p) for p in v.split(".")],
    )
    if not versions:
        raise ClusterUnavailable("no PostgreSQL server version is installed (pg_lsclusters)")
    return versions[-1]


def _drop(version: str) -> None:
    listed = _run("pg_lsclusters", "--no-header").split()
    if NAME in listed:
        _run("pg_dropcluster", "--stop", version, NAME)


@contextlib.contextmanager
def private_cluster() -> Iterator[Cluster]:
    version = _installed_version()
    _drop(version)  # left over by a bench that was killed before it could clean up
    cluster = Cluster(version, _free_port())
    try:
        _run(
            "pg_createcluster",
            version,
            NAME,
            "-p",
            str(cluster.port),
            "--",
            "--auth-host=trust",
            "--auth-local=trust",
        )
        _run("pg_ctlcluster", "--skip-systemctl-redirect", version, NAME, "start")
        yield cluster
    finally:
        _drop(version)
