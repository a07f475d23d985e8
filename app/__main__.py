"""`python -m app` is the `mic` command."""

from app.cli import main

main()
