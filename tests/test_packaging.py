"""What `pip install .` installs: MIC's packages, with the compiled message catalogs (the
producers', the console's and the public board's), the console's templates, the static files
of the web pages (styles, web fonts and their licence) and the monitoring samples inside."""

from __future__ import annotations

import gettext
import io
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from app.core.i18n import (
    BOARD_LOCALES,
    CONSOLE_LOCALES,
    MESSAGE_LOCALES,
    board_translator,
    console_translator,
    translator,
)
from app.public.brand import MIC_NAME

ROOT = Path(__file__).resolve().parent.parent
SOURCES = (
    *("app", "bots", "jobs", "migrations", "locales"),
    *("setup.py", "pyproject.toml", "README.md"),
)


def test_the_wheel_carries_catalogs_and_static_files_inside_the_app_package(tmp_path: Path) -> None:
    tree = tmp_path / "src"
    for name in SOURCES:  # a copy, so the build leaves no build/ or .mo files in the checkout
        source = ROOT / name
        if source.is_dir():
            skip = shutil.ignore_patterns("*.mo", "__pycache__")
            shutil.copytree(source, tree / name, ignore=skip)
        else:
            shutil.copy2(source, tree / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path / "dist"), str(tree)],
        check=True,
    )  # fmt: skip
    (wheel,) = (tmp_path / "dist").glob("mic-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        top_level = archive.read(next(n for n in names if n.endswith("top_level.txt"))).decode()
        for locale in MESSAGE_LOCALES:
            mo = f"app/locales/{locale}/LC_MESSAGES/messages.mo"
            assert mo in names, f"{mo} is not in the wheel"
            catalog = gettext.GNUTranslations(io.BytesIO(archive.read(mo)))
            assert catalog.gettext("no change") == translator(locale).gettext("no change")
        for locale in CONSOLE_LOCALES:
            mo = f"app/locales/{locale}/LC_MESSAGES/console.mo"
            assert mo in names, f"{mo} is not in the wheel"
            catalog = gettext.GNUTranslations(io.BytesIO(archive.read(mo)))
            assert catalog.gettext("Sign in") == console_translator(locale).gettext("Sign in")
        for locale in BOARD_LOCALES:
            mo = f"app/locales/{locale}/LC_MESSAGES/board.mo"
            assert mo in names, f"{mo} is not in the wheel"
            catalog = gettext.GNUTranslations(io.BytesIO(archive.read(mo)))
            assert catalog.gettext("Urgent") == board_translator(locale).gettext("Urgent")
            assert catalog.gettext(MIC_NAME) == board_translator(locale).gettext(MIC_NAME)
        # The console's pages and their static files are read from the package at run time.
        for page in ("base", "sign_in", "account", "error", "producers", "deliveries"):
            assert f"app/web/templates/console/{page}.html" in names
        static = ROOT / "app" / "web" / "static"
        for path in static.rglob("*"):
            if path.is_file():
                packaged = f"app/web/static/{path.relative_to(static).as_posix()}"
                assert packaged in names, f"{packaged} is not in the wheel"
                assert archive.read(packaged) == path.read_bytes()
        # The sample dashboard and alerting rules travel with the metrics they read.
        for name in ("grafana-dashboard.json", "prometheus-rules.yml"):
            assert f"app/ops/monitoring/{name}" in names, f"{name} is not in the wheel"
    assert not any(name.startswith("locales/") for name in names)
    assert set(top_level.split()) == {"app", "bots", "jobs", "migrations"}
