"""`schoolctl accounts ...`: operator actions on identity accounts."""
from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer
from rich.console import Console

from schoolctl.broker import EXIT_DATA, EXIT_NO_USER, EXIT_USAGE, connected_as_operator, fail
from shared.contracts import identity
from shared.contracts.errors import InvalidRequest, NotFound

app = typer.Typer(help="Accounts: passwords and other operator actions.", no_args_is_help=True)


@app.command("set-password")
def set_password(
    login: Annotated[str, typer.Argument(help="The account's email address or mobile phone number")],
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from stdin instead of prompting")] = False,
    amqp_uri: Annotated[Optional[str], typer.Option(
        "--amqp-uri", help="RabbitMQ to reach the services through (default: $AMQP_URI, else the local broker)",
        show_default=False)] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for an answer", min=1)] = 30,
) -> None:
    """Set an account's password (for example the first district administrator's), as the operator; the account
    is signed out everywhere. $SCHOOLCTL_CLIENT_ID and $SCHOOLCTL_CLIENT_SECRET name a service credential with
    the accounts:manage scope (`make run` prints one)."""
    password = _password_from_stdin() if password_stdin else typer.prompt(
        "New password", hide_input=True, confirmation_prompt=True)
    with connected_as_operator(amqp_uri, timeout) as operator:
        try:
            operator.rpc(identity.contract).set_password({"login": login, "password": password})
        except NotFound:
            raise fail(f"No account has the login {login}", EXIT_NO_USER) from None
        except InvalidRequest as invalid:
            reasons = "; ".join(f"{name}: {', '.join(map(str, why))}" for name, why in invalid.fields.items())
            raise fail(f"Password not set: {reasons or invalid.message}", EXIT_DATA) from None
    Console().print(f"Password set for {login}; every session it had is signed out.", markup=False,
                    highlight=False)


def _password_from_stdin() -> str:
    # Only the line ending a pipe or heredoc adds is dropped; other whitespace is part of the password.
    password = sys.stdin.read().rstrip("\r\n")
    if not password:
        raise fail("No password on stdin", EXIT_USAGE)
    return password
