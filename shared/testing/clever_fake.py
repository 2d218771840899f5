"""A loopback Clever Data API v3.0, built from Clever's API reference (not from our reader).

What it imitates, as Clever documents it:
- GET /v3.0/{districts,schools,terms,courses,sections,users,events} with `Authorization: Bearer <district
  token>`; anything else is 401 `{"error": "Unauthorized"}`. `users` takes `role` (student, teacher,
  staff, district_admin, contact) and lists users holding that role.
- Every list answers `{"data": [{"data": <object>, "uri": "/v3.0/<collection>/<id>"}], "links": [...]}`,
  `limit` (default 100, at most 10000, else 413) objects sorted by id, and a `next` link
  (`starting_after` the page's last id) while more remain; a `self` link always.
- Events: `{"id", "type": "<collection>.<created|updated|deleted>", "created", "data": {"object": <object>,
  "previous_attributes": {...}}}` in order; `starting_after` an event id, `ending_before=last` (with
  `limit=1`) for the newest one. Changing the roster through `create`/`update`/`delete` records them.
- Rate limiting answers 429 with `X-RateLimit-Reset` (a Unix time); a failing API answers 5xx.

Tests script what goes wrong: `then(...)` queues canned answers (429, 500, HTML, garbage JSON, 401) the
next matching requests get instead; `on_request(...)` runs a hook before a request is served.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from datetime import datetime, timezone
from itertools import islice
from operator import itemgetter
from urllib.parse import parse_qsl, urlencode

from shared.testing.loopback_provider import Answer, LoopbackProvider, json_answer

__all__ = ["Answer", "FakeClever", "json_answer"]

COLLECTIONS = ("districts", "schools", "terms", "courses", "sections", "users")
ROLES = ("student", "teacher", "staff", "district_admin", "contact")
DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
PREFIX = "/v3.0/"
BY_ID = itemgetter("id")


class FakeClever(LoopbackProvider):
    def __init__(self, *, token: str = "clever-district-token") -> None:
        super().__init__(self.answer)
        self.token = token
        self.roster: dict[str, list[dict]] = {name: [] for name in COLLECTIONS}
        self.events: list[dict] = []
        self.events_enabled = True  # events are opt-in: without them /events answers 404

    # --- changing the district, as its SIS would: each change is an event -----------------------

    def create(self, collection: str, item: dict) -> None:
        self.roster[collection].append(item)
        self._event(collection, "created", item)

    def update(self, collection: str, item_id: str, **changes) -> None:
        item = next(i for i in self.roster[collection] if i["id"] == item_id)
        previous = {name: item.get(name) for name in changes}
        item.update(changes)
        self._event(collection, "updated", item, previous)

    def delete(self, collection: str, item_id: str) -> None:
        item = next(i for i in self.roster[collection] if i["id"] == item_id)
        self.roster[collection].remove(item)
        self._event(collection, "deleted", item)

    def _event(self, collection: str, action: str, item: dict, previous: dict | None = None) -> None:
        data = {"object": json.loads(json.dumps(item)), **({"previous_attributes": previous} if previous else {})}
        created = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        self.events.append({"id": f"evt{len(self.events) + 1:08d}", "type": f"{collection}.{action}",
                            "created": created, "data": data})

    # --- serving -----------------------------------------------------------------------------

    def answer(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Answer:
        path, _, query_string = target.partition("?")
        collection = path[len(PREFIX):] if path.startswith(PREFIX) else ""
        if method != "GET" or collection not in (*COLLECTIONS, "events"):
            return json_answer(404, {"error": "Not Found"})
        if headers.get("authorization") != f"Bearer {self.token}":
            return json_answer(401, {"error": "Unauthorized"})
        query = dict(parse_qsl(query_string, keep_blank_values=True))
        if collection == "events" and not self.events_enabled:
            return json_answer(404, {"error": "Resource not found"})
        return self.scripted(collection, query) or self._page(collection, query)

    def _page(self, collection: str, query: dict[str, str]) -> Answer:
        limit = int(query.get("limit", DEFAULT_LIMIT))
        if limit > MAX_LIMIT:
            return json_answer(413, {"error": "limit is too large"})
        after = query.get("starting_after")
        if collection == "events":
            objects = self.events
            if query.get("ending_before") == "last":
                return self._listing(collection, query, objects[-limit:], more=False)
            if after:  # events are in the order they happened
                ids = [item["id"] for item in objects]
                objects = objects[ids.index(after) + 1:] if after in ids else [i for i in objects if i["id"] > after]
            return self._listing(collection, query, objects[:limit], more=len(objects) > limit)
        role = query.get("role") if collection == "users" else None
        if role is not None and role not in ROLES:
            return json_answer(400, {"error": f"unknown role {role}"})
        # Sorted by id, a page is found and filled without reading the whole district again for each page.
        listed = sorted(self.roster[collection], key=BY_ID)
        following = islice(listed, bisect_right(listed, after, key=BY_ID) if after else 0, None)
        held = (item for item in following if role in (item.get("roles") or {})) if role is not None else following
        page = list(islice(held, limit + 1))
        return self._listing(collection, query, page[:limit], more=len(page) > limit)

    def _listing(self, collection: str, query: dict[str, str], page: list[dict], *, more: bool) -> Answer:
        links = [{"rel": "self", "uri": f"{PREFIX}{collection}?{urlencode(query)}"}]
        if more:
            following = {**query, "starting_after": page[-1]["id"]}
            links.append({"rel": "next", "uri": f"{PREFIX}{collection}?{urlencode(following)}"})
        data = [{"data": item, "uri": f"{PREFIX}{collection}/{item['id']}"} for item in page]
        return json_answer(200, {"data": data, "links": links})

