"""``covet db``: Alembic migrations found from the app's import string.

``covet db init``, ``revision --autogenerate -m``, ``upgrade``, ``downgrade``, ``current``,
``history`` and ``check``, each given ``module:app`` (or ``module:database``). The work is done
by :mod:`covet.db.migrations`, imported when a command runs (it needs the ``db`` extra).
"""

from __future__ import annotations

import argparse

from covet.cli import Command

DEFAULT_DIRECTORY = "migrations"


def _run(args: argparse.Namespace) -> int:
    from covet.db import migrations  # the db extra, needed only now

    return migrations.run_command(args)


def _add_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "app",
        help="the app (or its Database) as module:attribute; the module must hold the Database",
    )
    parser.add_argument(
        "-d",
        "--directory",
        default=DEFAULT_DIRECTORY,
        help=f"the migrations directory (default: {DEFAULT_DIRECTORY})",
    )
    parser.add_argument(
        "--database",
        metavar="NAME",
        help="the module attribute of the Database, when the module holds several",
    )
    parser.add_argument(
        "--metadata",
        metavar="MODULE:ATTRIBUTE",
        help="the MetaData to compare against (default: covet.db.Model.metadata)",
    )


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``covet db`` sub-commands to ``parser``."""
    commands = parser.add_subparsers(dest="db_command", metavar="COMMAND")
    specs = [
        ("init", "create the migrations directory (env.py needs no editing)"),
        ("revision", "create a migration script (--autogenerate compares the models)"),
        ("upgrade", "apply migrations up to REVISION (default: head)"),
        ("downgrade", "revert migrations down to REVISION (-1, a revision id, or base)"),
        ("current", "show the revision the database is at"),
        ("history", "list the migrations, newest first"),
        ("check", "exit 1 when the models have changes no migration holds"),
    ]
    for name, help_text in specs:
        command = commands.add_parser(name, help=help_text, description=help_text)
        if name in ("upgrade", "downgrade"):
            # Before the app, as Alembic users write it: covet db downgrade -1 shop:app
            command.add_argument(
                "revision",
                nargs="?" if name == "upgrade" else None,
                default="head",
                help="the target revision (head, base, -1, +2, an id)",
            )
            command.add_argument(
                "--sql", action="store_true", help="print the SQL instead of running it"
            )
        _add_target(command)
        command.set_defaults(handler=_run, db_command=name)
        if name == "revision":
            command.add_argument("-m", "--message", required=True, help="what the migration does")
            command.add_argument(
                "--autogenerate",
                action="store_true",
                help="write the operations that bring the database to the models",
            )
        elif name == "history":
            command.add_argument("-v", "--verbose", action="store_true", help="show details")


COMMAND = Command(name="db", help="database migrations (Alembic)", configure=configure)
"""The ``covet db`` command group (entry point ``db`` of the ``covet.commands`` group)."""
