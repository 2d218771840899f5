"""How a stand-in directory answers the archiving and counting calls a roster sync makes.

Rostering's unit and integration tests replace the directory with in-memory stand-ins that remember
what they saved by (upsert method, key); both answer archive_synced_records, get_district_counts and
get_schools the way the real directory does, from here.
"""
from __future__ import annotations

from collections.abc import Mapping

# The upsert that saves each entity a sync archives.
SAVED_BY = {"people": "upsert_people", "classrooms": "upsert_classrooms", "enrollments": "upsert_enrollments",
            "guardian_links": "upsert_guardian_links"}


class SyncedRecords:
    """`saved` maps (upsert method, key) to (row as sent, id given); `archived` holds (entity, key)."""

    def __init__(self, saved: Mapping[tuple[str, str], tuple[dict, str]]) -> None:
        self.saved = saved
        self.archived: set[tuple[str, str]] = set()

    def archive(self, request: dict) -> dict:
        entity = request["entity"]
        keys = ([f"{link['guardian_source_id']}:{link['student_source_id']}" for link in request["links"]]
                if entity == "guardian_links" else request["source_ids"])
        results = []
        for key in keys:
            found = self.saved.get((SAVED_BY[entity], key))
            outcome = "not_found" if found is None else "already" if (entity, key) in self.archived else "done"
            if outcome == "done" and not request["dry_run"]:
                self.archived.add((entity, key))
            row = found[0] if found else {}
            results.append({"key": key, "id": found[1] if found else None, "outcome": outcome,
                            "name": row.get("given_name") or row.get("title"), "kinds": row.get("kinds", []),
                            "school_ids": []})
        return {"results": results}

    def counts(self) -> dict:
        def current(entity: str) -> int:
            return sum(1 for method, key in self.saved if method == SAVED_BY[entity]
                       and (entity, key) not in self.archived)

        return {"people": current("people"), "people_by_kind": {}, "classrooms": current("classrooms"),
                "enrollments": current("enrollments"), "guardian_links": current("guardian_links")}

    def schools(self) -> dict:
        return {"schools": [{"id": item_id, "name": row["name"]}
                            for (method, _), (row, item_id) in self.saved.items() if method == "upsert_schools"]}
