"""A client of a ClassLink roster server: signed requests, limit/offset paging, throttling and retries.

- Signing: OAuth 1.0a HMAC-SHA256 (requests-oauthlib signs each request, query included) or OAuth 2
  client credentials (a bearer token, fetched again once when the server stops accepting it).
- Paging: `limit`/`offset` until a short (or empty) page, the `X-Total-Count` reached, or a `Link`
  header without `rel="next"`. A collection whose total changes while it is read is read again from the
  start (an insert or delete shifts every later page: a record could be skipped, and a skipped record in
  a full run would be archived); one that keeps changing refuses the run.
- 429 waits as long as the server says, 5xx and network errors are retried with exponential backoff
  (../patient_http.py). Retries happen there, not in the transport, because every attempt must be
  signed anew: an OAuth 1.0a nonce is good for one request only.
- Anything else refuses the whole run with a reason an administrator can act on (SourceRejected):
  refused credentials, an answer that is not OneRoster JSON, a server that keeps failing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import requests
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256
from oauthlib.oauth2 import BackendApplicationClient, OAuth2Error
from requests_oauthlib import OAuth1, OAuth2Session

from services.rostering.domain.errors import SourceRejected

from ..patient_http import BACKOFF_SECONDS, PagedCollection, Patience
from .connection import OAUTH1, ClassLinkConnection

PAGE_SIZE = 1000
TIMEOUT_SECONDS = (10, 120)  # connect, read
# How many times a collection that changed while it was read is read again before the run gives up.
REREADS = 2
# The most records one collection may hold: a million-student district has about five million enrollments.
# A server that never ends a collection (full pages forever) refuses the run instead of exhausting memory.
MAX_RECORDS = 10_000_000


class RosterServerClient:
    def __init__(self, connection: ClassLinkConnection, *, page_size: int = PAGE_SIZE,
                 sleep: Callable[[float], None] = time.sleep, backoff: float = BACKOFF_SECONDS,
                 timeout: tuple[float, float] = TIMEOUT_SECONDS, max_records: int = MAX_RECORDS) -> None:
        self._connection, self._page_size = connection, page_size
        self._timeout, self._max_records = timeout, max_records
        self._tenant = connection.tenant_id
        self._patience = Patience(f"ClassLink's roster server for tenant {self._tenant}", sleep=sleep, backoff=backoff)
        self._session: requests.Session | None = None

    def collection(self, name: str, *, modified_after: datetime | None = None) -> list[dict]:
        """Every object of the collection (changed after `modified_after`, when given)."""
        for _ in range(REREADS + 1):
            objects = self._read_once(name, modified_after)
            if objects is not None:
                return objects
        raise SourceRejected(f"ClassLink's {name} for tenant {self._tenant} kept changing while they were read "
                             f"({REREADS + 1} tries); nothing was applied: run the sync again later", file=name)

    def _read_once(self, name: str, modified_after: datetime | None) -> list[dict] | None:
        """The collection, or None when its total changed under the read."""
        url, limit = self._connection.url_of(name), self._page_size
        params: dict[str, Any] = {"limit": limit}
        if modified_after is not None:
            params["filter"] = f"dateLastModified>'{_instant(modified_after)}'"
        collected = PagedCollection(name, provider="ClassLink", owner=f"tenant {self._tenant}",
                                    going_back="offset ignored?", max_records=self._max_records)
        objects = collected.objects
        total: int | None = None
        while True:
            response = self._get(url, {**params, "offset": len(objects)})
            page = _objects_of(response, name, self._tenant)
            page_total = _total_of(response)
            if total is not None and page_total is not None and page_total != total:
                return None
            total = page_total if page_total is not None else total
            collected.add(page, {str(item.get("sourcedId")) for item in page if isinstance(item, dict)})
            if len(page) < limit or (total is not None and len(objects) >= total):
                break
            if response.headers.get("Link") is not None and "next" not in response.links:
                break
        if total is not None and len(objects) != total:
            return None  # fewer (or more) than announced: records moved between pages
        return objects

    # --- one request ---------------------------------------------------------------------------

    def _get(self, url: str, params: dict) -> requests.Response:
        renewable = self._connection.auth != OAUTH1
        while True:
            response = self._patience.get(lambda: self._session_for().get(
                url, params=params, timeout=self._timeout, headers={"Accept": "application/json"}))
            status = response.status_code
            if status in (401, 403):
                if renewable:
                    self._session, renewable = None, False  # a token may have expired: fetch a new one once
                    continue
                raise self._refused()
            if status != 200:
                raise SourceRejected(f"ClassLink answered {status} to {url} for tenant {self._tenant}; "
                                     "nothing was applied")
            return response

    def _refused(self) -> SourceRejected:
        return SourceRejected(f"ClassLink refused the credentials for tenant {self._tenant}; nothing was applied")

    def _session_for(self) -> requests.Session:
        if self._session is None:
            self._session = self._signed_session()
        return self._session

    def _signed_session(self) -> requests.Session:
        connection = self._connection
        if connection.auth == OAUTH1:
            session = requests.Session()
            session.auth = OAuth1(connection.client_id, client_secret=connection.client_secret,
                                  signature_method=SIGNATURE_HMAC_SHA256)
            return session
        session = OAuth2Session(client=BackendApplicationClient(client_id=connection.client_id))
        try:
            session.fetch_token(token_url=connection.token_url, client_id=connection.client_id,
                                client_secret=connection.client_secret, timeout=self._timeout)
        except OAuth2Error:
            raise self._refused() from None
        except (requests.RequestException, ValueError) as failed:
            raise SourceRejected(f"ClassLink's token URL for tenant {self._tenant} gave no token "
                                 f"({type(failed).__name__}); nothing was applied") from None
        return session


def _objects_of(response: requests.Response, name: str, tenant: str) -> list:
    try:
        document = response.json()
    except ValueError:
        kind = response.headers.get("Content-Type", "no content type")
        raise SourceRejected(f"ClassLink answered {name} for tenant {tenant} with something that is not JSON "
                             f"({kind}); nothing was applied", file=name) from None
    objects = document.get(name) if isinstance(document, dict) else None
    if not isinstance(objects, list):
        raise SourceRejected(f"ClassLink's answer for {name} (tenant {tenant}) has no {name} list; "
                             "nothing was applied", file=name)
    return objects


def _total_of(response: requests.Response) -> int | None:
    raw = response.headers.get("X-Total-Count")
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def _instant(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
