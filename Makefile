# `make run` and `make test` are the whole set-up on a fresh clone; everything else is optional.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
LOCALES_PO := $(wildcard locales/*/LC_MESSAGES/messages.po)
LOCALES_MO := $(LOCALES_PO:.po=.mo)
CONSOLE_PO := $(wildcard locales/*/LC_MESSAGES/console.po)
CONSOLE_MO := $(CONSOLE_PO:.po=.mo)
BOARD_PO   := $(wildcard locales/*/LC_MESSAGES/board.po)
BOARD_MO   := $(BOARD_PO:.po=.mo)
EXTRACT    := $(BIN)/pybabel extract -k _ -k gettext -k ngettext:1,2 -k N_ \
	--project=MIC --copyright-holder="MIC contributors" --no-location --sort-output

.PHONY: run test test-packages lint typecheck i18n-check pytest i18n catalogs clean

run: $(VENV)/.installed catalogs
	@mkdir -p var
	$(BIN)/mic db upgrade
	$(BIN)/mic seed demo --if-empty
	$(BIN)/mic run

test: $(VENV)/.installed-dev catalogs lint typecheck i18n-check test-packages pytest

# Kannel for the SMS gateway tests: installed when run as root with apt, else those tests skip.
test-packages:
	@bash .ci/test-packages

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

# The whole suite on SQLite, then again on PostgreSQL when MIC_TEST_DATABASE_URL names one.
pytest: $(VENV)/.installed-dev catalogs
	@echo "== test suite on SQLite =="
	env -u MIC_TEST_DATABASE_URL $(BIN)/pytest -q
	@if [ -n "$$MIC_TEST_DATABASE_URL" ]; then \
		echo "== test suite on PostgreSQL =="; \
		$(BIN)/pytest -q || exit 1; \
	else \
		echo "MIC_TEST_DATABASE_URL is not set: PostgreSQL run skipped"; \
	fi

# Every marked string in all six catalogs, translated, same placeholders, nothing stale.
i18n-check: $(VENV)/.installed-dev
	$(BIN)/python -m tests.catalogs

# Extract marked strings, merge them into every catalog, compile: the producers' messages, the
# console's pages (en, my, km, lo, vi) and the public board (its pages, share cards and open
# data, in the six languages), each in a domain of its own.
i18n: $(VENV)/.installed
	$(EXTRACT) -F babel.cfg -o locales/messages.pot .
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching --ignore-obsolete
	$(EXTRACT) -F babel-console.cfg -o locales/console.pot .
	$(BIN)/pybabel update -i locales/console.pot -d locales -D console --no-fuzzy-matching --ignore-obsolete
	$(EXTRACT) -F babel-board.cfg -o locales/board.pot .
	$(BIN)/pybabel update -i locales/board.pot -d locales -D board --no-fuzzy-matching --ignore-obsolete
	$(MAKE) catalogs

catalogs: $(LOCALES_MO) $(CONSOLE_MO) $(BOARD_MO)

locales/%.mo: locales/%.po $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -i $< -o $@

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

clean:
	rm -rf $(VENV) var build dist *.egg-info locales/*/LC_MESSAGES/*.mo locales/messages.pot locales/console.pot locales/board.pot
