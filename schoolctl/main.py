"""`schoolctl`: the root command; each area of the platform is a sub-app of its own."""
from __future__ import annotations

import logging
import sys

import typer

# roster_runs and roster_settings add their commands to roster's app.
from schoolctl import (  # noqa: F401
    accounts,
    broker_accounts,
    dead_letters,
    dev,
    queues,
    roster,
    roster_runs,
    roster_settings,
    services,
)
from schoolctl.broker import EXIT_FAILED, EXIT_USAGE

# The exit code typer (click) gives its own usage errors; ours is EX_USAGE, because 2 means a rejected package.
TYPER_USAGE_EXIT = 2

app = typer.Typer(
    name="schoolctl",
    help="Operate the school communications platform: roster imports, accounts, service credentials, queues.",
    no_args_is_help=True,
)

app.add_typer(roster.app, name="roster")
app.add_typer(accounts.app, name="accounts")
app.add_typer(services.app, name="services")
app.add_typer(dev.app, name="dev")
app.add_typer(broker_accounts.app, name="deploy")
app.add_typer(dead_letters.app, name="dead-letters")
app.command("queues")(queues.show_queues)


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
