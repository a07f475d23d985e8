"""Build hook: a wheel carries MIC's message catalogs (the producers', the console's and the
public board's) inside its own package, compiled.

The catalogs live at the top of the repository (locales/, where translators and `make i18n`
work); an installed MIC finds them in `app/locales`, next to the code, with no `make catalogs`
step and no top-level `locales` folder in site-packages. Everything else is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithCatalogs(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the checkout's locales/ directly
            return
        for po in sorted((ROOT / "locales").glob("*/LC_MESSAGES/*.po")):
            target = Path(self.build_lib) / "app" / "locales" / po.relative_to(ROOT / "locales")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(po, target)
            with po.open("rb") as source:
                catalog = read_po(source, locale=po.parent.parent.name)
            with target.with_suffix(".mo").open("wb") as compiled:
                write_mo(compiled, catalog)


setup(cmdclass={"build_py": BuildWithCatalogs})
