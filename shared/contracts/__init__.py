"""The only place that names what crosses a service boundary."""
from shared.contracts import directory, identity, notify, rostering

# identity learns from directory's events which students may sign in and which people are archived
# (archived people may not). directory's contract imports identity's (for Principal), so identity's
# module cannot import directory's without a cycle: the subscriptions are declared here, where both
# modules are complete, and every contract import runs this.
identity.contract.subscribe(directory.STUDENT_ACCOUNTS_ENABLED, directory.PEOPLE_UPSERTED)
# directory's audit log keeps notify's moderation decisions; notify's contract imports directory's, likewise.
directory.contract.subscribe(notify.CONTENT_MODERATED)
# ... and rostering's changes of a district's sync settings (rostering's contract knows nothing of directory's).
directory.contract.subscribe(rostering.DISTRICT_SYNC_SETTINGS_CHANGED)

# identity's RPC methods that issue and publish credentials, with the rule of who may call what.
from shared.contracts import callers  # noqa: E402,F401

CONTRACTS = {c.name: c for c in (identity.contract, directory.contract, notify.contract, rostering.contract)}
