"""The only place that names what crosses a service boundary."""
from shared.contracts import directory, identity, notify, rostering

# identity learns which students may sign in from directory's event. directory's contract imports
# identity's (for Principal), so identity's module cannot import directory's without a cycle: the
# subscription is declared here, where both modules are complete, and every contract import runs this.
identity.contract.subscribe(directory.STUDENT_ACCOUNTS_ENABLED)
identity.contract.subscribe(directory.PEOPLE_UPSERTED)  # and which people are archived

CONTRACTS = {c.name: c for c in (identity.contract, directory.contract, notify.contract, rostering.contract)}
