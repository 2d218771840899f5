"""The only place that names what crosses a service boundary."""
from shared.contracts import directory, identity, notify, rostering

CONTRACTS = {c.name: c for c in (identity.contract, directory.contract, notify.contract, rostering.contract)}
