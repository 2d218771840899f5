"""Which directory district a provider's roster belongs to.

A district's sync settings are kept under the directory's id of the district; the directory knows the district
by the id its roster source gives it (its sourcedId: a ClassLink district org's, a Clever district's id). A run
from the district's provider applies only when the district the provider answers is that one: a connection
pointed at another tenant or district would otherwise make a second district and fill it.

A district that connects its provider before anything was imported is made in the directory under the id the
provider gives it (`connect_district`), so its first run finds it there.
"""
from __future__ import annotations

from collections.abc import Mapping

from shared.contracts.rostering import CLEVER

from .settings import InvalidSetting


def district_mismatch(expected: Mapping | None, read: Mapping, source: str) -> str | None:
    """Why a roster whose district is `read` (a directory.upsert_district row) may not be applied to the district
    `expected` (directory.get_district's answer, None when the run is not bound to one); None when it may."""
    if expected is None:
        return None
    name = expected.get("name") or expected["id"]
    if expected.get("source_id") is None:
        return (f"district {name} was not made by a roster sync, so {source} cannot be matched to it: nothing was "
                f"applied; connect the provider to a new district with `schoolctl roster connect`")
    if read["source_id"] != expected["source_id"]:
        return (f"{source} holds district {read['source_id']} ({read['name']}), not {expected['source_id']}, the "
                f"district these settings are for ({name}): nothing was applied; check the connection")
    return None


def connected_connection(source: str | None, connection: Mapping | None, district_source_id: str) -> dict:
    """The connection a new district is connected with: a Clever connection names the district by the id it is
    made under (given when absent); InvalidSetting when it names another."""
    connection = dict(connection or {})
    if source != CLEVER:
        return connection
    named = connection.get("district_id")
    if named is None:
        connection["district_id"] = district_source_id
    elif named != district_source_id:
        raise InvalidSetting("connection.district_id",
                             f"the Clever district {named} is not {district_source_id}, the district being connected")
    return connection
