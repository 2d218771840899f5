"""`schoolctl republish district DISTRICT [--to SERVICE]`: the owners of a district's roster state (directory:
its people; identity: its accounts and languages) publish it again as their events, so a consumer whose
projection went stale (notify's recipients, identity's archivals, directory's joined and invited marks) rebuilds
it without a re-import. Events go through each owner's outbox; every consumer handles them like any delivery,
so the ones that were right stay as they are. As the operator (a service credential with rostering:manage).
"""
from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.console import Console

from schoolctl.broker import EXIT_NO_USER, EXIT_USAGE, connected_as_operator, fail
from shared.contracts import directory, identity, notify, rostering
from shared.contracts.base import ServiceContract
from shared.contracts.errors import NotFound

app = typer.Typer(help="Publish a district's state again, so the services that keep a copy rebuild it.",
                  no_args_is_help=True)

# The owners that answer republish_district, and every service that may take their events.
OWNERS = (directory.contract, identity.contract)
CONSUMERS = {contract.name: contract for contract in (directory.contract, identity.contract, notify.contract,
                                                      rostering.contract)}


def owners_feeding(consumer: str | None) -> list[ServiceContract]:
    """The owners whose events `consumer` subscribes to (all of them when no consumer is named)."""
    if consumer is None:
        return list(OWNERS)
    if consumer not in CONSUMERS:
        raise ValueError(f"--to: no service {consumer!r}; one of {', '.join(sorted(CONSUMERS))}")
    sources = {event.service for event in CONSUMERS[consumer].subscriptions}
    owners = [owner for owner in OWNERS if owner.name in sources and owner.name != consumer]
    if not owners:
        raise ValueError(f"--to: {consumer} takes no events from {' or '.join(owner.name for owner in OWNERS)}")
    return owners


@app.command("district")
def republish_district(
    district: Annotated[str, typer.Argument(help="The directory's id of the district")],
    to: Annotated[Optional[str], typer.Option(
        "--to", help="Only the owners whose events this service takes (notify: directory and identity; "
                     "identity: directory; directory: identity)", show_default=False)] = None,
    amqp_uri: Annotated[Optional[str], typer.Option(
        "--amqp-uri", help="RabbitMQ to reach the services through (default: $AMQP_URI, else the local broker)",
        show_default=False)] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each owner's answer", min=1)] = 300,
) -> None:
    """Have the owners publish the district's people, accounts and languages again, as they are now."""
    try:
        owners = owners_feeding(to)
    except ValueError as wrong:
        raise fail(str(wrong), EXIT_USAGE) from None
    console = Console(soft_wrap=True, highlight=False)
    with connected_as_operator(amqp_uri, timeout) as operator:
        for owner in owners:
            try:
                answer = operator.rpc(owner).republish_district({"district_id": district})
            except NotFound as missing:
                raise fail(f"{owner.name}: {missing.message} ({district})", EXIT_NO_USER) from None
            console.print(f"{owner.name}: {answer['events']} events for {answer['rows']} rows written to its "
                          "outbox; its relay publishes them", markup=False)
