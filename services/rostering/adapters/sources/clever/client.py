"""A client of Clever's Data API v3.0 for one district: Bearer token, cursor paging, throttling and retries.

- Every answer is `{"data": [{"data": {...}, "uri": ...}, ...], "links": [{"rel", "uri"}, ...]}`; a
  collection is read by following the `next` link (`starting_after` the last id) until there is none
  or a page is empty. A page whose every object was read already (a next link pointing back) refuses
  the run instead of looping.
- 429 waits for `Retry-After` or `X-RateLimit-Reset`, 5xx and network errors are retried with backoff
  (../patient_http.py).
- A 401 or 403 is the district's token refused; anything else that is not a page of JSON refuses the
  run with a reason an administrator can act on (SourceRejected).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from services.rostering.domain.errors import SourceRejected

from ..patient_http import BACKOFF_SECONDS, PagedCollection, Patience
from .connection import CleverConnection

PAGE_SIZE = 10_000  # Clever's largest `limit`
TIMEOUT_SECONDS = (10, 120)  # connect, read
# A million-student district has about five million users and contacts; more is a server that never ends.
MAX_RECORDS = 10_000_000
# The newest event, so a full run knows where the next incremental one starts (Clever's events paging).
NEWEST_EVENT = {"ending_before": "last", "limit": "1"}


class CleverClient:
    def __init__(self, connection: CleverConnection, *, page_size: int = PAGE_SIZE,
                 sleep: Callable[[float], None] = time.sleep, backoff: float = BACKOFF_SECONDS,
                 timeout: tuple[float, float] = TIMEOUT_SECONDS, max_records: int = MAX_RECORDS) -> None:
        self._connection, self._page_size, self._timeout = connection, page_size, timeout
        self._max_records = max_records
        self._district = connection.district_id
        self._patience = Patience(f"Clever's API for district {self._district}", sleep=sleep, backoff=backoff)
        self._session = requests.Session()
        self._session.headers.update({"Authorization": f"Bearer {connection.token}", "Accept": "application/json"})

    def collection(self, name: str, **query: str) -> list[dict]:
        """Every object of a collection (`users` with role="student", `sections`, `events` ...), in Clever's order."""
        url = self._with_limit(self._connection.url_of(f"{name}?{urlencode(query)}" if query else name))
        collected = PagedCollection(name, provider="Clever", owner=f"district {self._district}",
                                    going_back="its next link goes back", max_records=self._max_records)
        while True:
            items, next_link = self._page(url, name)
            page = [_object_of(item, name, self._district) for item in items]
            collected.add(page, {str(item.get("id")) for item in page})
            if not page or next_link is None:
                return collected.objects
            url = self._with_limit(self._connection.url_of(next_link))

    def events_after(self, cursor: str) -> list[dict]:
        """The district's events after the event `cursor` names, oldest first ("" for the whole feed)."""
        return self.collection("events", **({"starting_after": cursor} if cursor else {}))

    def newest_event(self) -> str | None:
        """The id of the district's newest event, "" when its feed is empty, None when the application has no
        events for the district (Clever answers 404: events are opt-in), so every run reads it whole."""
        response = self._get(self._connection.url_of(f"events?{urlencode(NEWEST_EVENT)}"))
        if response.status_code == 404:
            return None
        items, _ = self._listing(response, "events")
        newest = [_object_of(item, "events", self._district) for item in items]
        return str(newest[-1].get("id") or "") if newest else ""

    def _with_limit(self, url: str) -> str:
        """The URL with our page size, unless Clever's link already carries one."""
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        query.setdefault("limit", str(self._page_size))
        return urlunsplit(parts._replace(query=urlencode(query)))

    def _page(self, url: str, name: str) -> tuple[list, str | None]:
        return self._listing(self._get(url), name)

    def _get(self, url: str) -> requests.Response:
        return self._patience.get(lambda: self._session.get(url, timeout=self._timeout))

    def _listing(self, response: requests.Response, name: str) -> tuple[list, str | None]:
        status = response.status_code
        if status in (401, 403):
            raise SourceRejected(f"Clever refused the token for district {self._district}; nothing was applied")
        if status != 200:
            raise SourceRejected(f"Clever answered {status} to {name} for district {self._district}; "
                                 "nothing was applied", file=name)
        try:
            document = response.json()
        except ValueError:
            kind = response.headers.get("Content-Type", "no content type")
            raise SourceRejected(f"Clever answered {name} for district {self._district} with something that is "
                                 f"not JSON ({kind}); nothing was applied", file=name) from None
        items = document.get("data") if isinstance(document, dict) else None
        if not isinstance(items, list):
            raise SourceRejected(f"Clever's answer for {name} (district {self._district}) has no data list; "
                                 "nothing was applied", file=name)
        return items, _next_link(document)


def _object_of(item, name: str, district: str) -> dict:
    """The object a list item wraps: `{"data": {...}, "uri": ...}`."""
    wrapped = item.get("data") if isinstance(item, dict) else None
    if not isinstance(wrapped, dict):
        raise SourceRejected(f"Clever's {name} for district {district} hold an entry that is not an object; "
                             "nothing was applied", file=name)
    return wrapped


def _next_link(document: dict) -> str | None:
    links = document.get("links")
    uri = next((link.get("uri") for link in links if isinstance(link, dict) and link.get("rel") == "next"), None) \
        if isinstance(links, list) else None
    return uri if isinstance(uri, str) and uri else None
