"""`schoolctl`: the root command; each area of the platform is a sub-app of its own, imported when used."""
from __future__ import annotations

import logging
import sys

import typer

from schoolctl.broker import EXIT_FAILED, EXIT_USAGE
from schoolctl.lazy_commands import LazySubApp

# The exit code typer (click) gives its own usage errors; ours is EX_USAGE, because 2 means a rejected package.
TYPER_USAGE_EXIT = 2

# name: (the modules that make the sub-app, the first holding its `app`; its help, as the app itself says it).
SUB_APPS = {
    # roster_runs and roster_settings add their commands to roster's app.
    "roster": (("schoolctl.roster", "schoolctl.roster_runs", "schoolctl.roster_settings"),
               "Roster syncs: check, generate and import OneRoster packages; look at their runs."),
    "accounts": (("schoolctl.accounts",), "Accounts: passwords and other operator actions."),
    "services": (("schoolctl.services",), "Service credentials: who may call the platform over RPC, and what."),
    "dev": (("schoolctl.dev",), "Run the whole platform on this machine."),
    # probes adds its commands to deploy's app.
    "deploy": (("schoolctl.broker_accounts", "schoolctl.probes"), "What deploy/ runs with."),
    "dead-letters": (("schoolctl.dead_letters",), "The delivery queue's dead letters: list, show, replay, purge."),
    "republish": (("schoolctl.republish",), "Publish a district's state again, so the services that keep a copy "
                                            "rebuild it."),
    "queues": (("schoolctl.queues",), "Every queue of the platform: depth (ready and unacked), consumers, and "
                                      "rates in, out and acked per second."),
}


class RootGroup(typer.core.TyperGroup):
    def __init__(self, **attrs) -> None:
        super().__init__(**attrs)
        for name, (modules, help_text) in SUB_APPS.items():
            self.add_command(LazySubApp(name, modules, help_text))


app = typer.Typer(
    name="schoolctl",
    help="Operate the school communications platform: roster imports, accounts, service credentials, queues.",
    no_args_is_help=True,
    cls=RootGroup,
)


@app.callback()
def root() -> None:
    """Operate the school communications platform: roster imports, accounts, service credentials, queues."""


def run(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="schoolctl", standalone_mode=False)
    except typer.TyperException as error:
        # Bad arguments and options: typer prints usage and the reason, we choose the exit code.
        error.show()
        return EXIT_USAGE if error.exit_code == TYPER_USAGE_EXIT else error.exit_code
    except typer.Abort:
        typer.echo("Aborted.", err=True)
        return EXIT_FAILED
    return result if isinstance(result, int) else 0


def main() -> None:
    # The AMQP client logs channel chatter at WARNING; failures reach the operator as our own messages.
    logging.getLogger("amqp").setLevel(logging.ERROR)
    sys.exit(run())
