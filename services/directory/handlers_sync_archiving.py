"""What a roster sync no longer lists is archived, never deleted; and the counts its guard weighs.

Rostering names what disappeared from a full (bulk) file, or what a file marks tobedeleted, by the
source's ids. Each is answered done (archived now), already (archived before) or not_found, with the
name, kinds and schools that let rostering show a readable diff; `dry_run` answers the same and
changes nothing, for a run held for approval or previewed.
"""
from __future__ import annotations

from collections.abc import Mapping

from shared.contracts.common import ALREADY, DONE, NOT_FOUND
from shared.outbox import republish_in_pages

from services.directory.adapters.store import DirectoryStore
from services.directory.handlers import Publish, announce_people, existing_district


def archive_synced_records(request: Mapping, *, store: DirectoryStore, publish: Publish) -> dict:
    district_id = existing_district(store.people, request["district_id"])
    entity = request["entity"]
    if entity == "guardian_links":
        keys = [f"{link['guardian_source_id']}:{link['student_source_id']}" for link in request["links"]]
        found = store.archiving.synced_links(
            district_id, {(link["guardian_source_id"], link["student_source_id"]) for link in request["links"]})
    else:
        keys = list(request["source_ids"])
        lookup = {"people": store.archiving.synced_people, "classrooms": store.archiving.synced_classrooms,
                  "enrollments": store.archiving.synced_enrollments}[entity]
        found = lookup(district_id, set(keys))
    by_key = {record["key"]: record for record in found}
    results = [_result(key, by_key.get(key)) for key in dict.fromkeys(keys)]
    if not request["dry_run"]:
        store.archiving.archive_synced(entity, [r["id"] for r in results if r["outcome"] == DONE],
                                       announce=announce_people(publish))
    return {"results": results}


def republish_district(request: Mapping, *, store: DirectoryStore, publish: Publish) -> dict:
    """PEOPLE_UPSERTED again for every person of the district as they are now, so a consumer that lost events
    rebuilds its projection (the others apply what they hold already, which changes nothing)."""
    district_id = existing_district(store.people, request["district_id"])
    announce = announce_people(publish)
    return republish_in_pages(
        ids_after=lambda after, limit: store.people.person_ids_of_district(district_id, after, limit),
        publish_page=lambda ids: announce(store.people.person_rows(ids)))


def get_district_counts(request: Mapping, *, store: DirectoryStore) -> dict:
    return store.archiving.district_counts(existing_district(store.people, request["district_id"]))


def _result(key: str, record: Mapping | None) -> dict:
    if record is None:
        return {"key": key, "id": None, "outcome": NOT_FOUND, "name": None, "kinds": [], "school_ids": []}
    return {"key": key, "id": record["id"], "outcome": ALREADY if record["archived"] else DONE,
            "name": record["name"], "kinds": record["kinds"], "school_ids": record["school_ids"]}
