"""The twilio SDK's HTTP client, pointed at a base URL of our choosing, on one keep-alive pool.

twilio 9 builds absolute https://api.twilio.com/... URLs and its edge/region
settings cannot name a loopback host (PLATFORM-NOTES), so the sandbox is
reached by rewriting scheme and host here, keeping path and query.
"""
from __future__ import annotations

import logging
from urllib.parse import urlsplit, urlunsplit

from requests import Session
from requests.adapters import HTTPAdapter
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response

# The SDK logs every request and response at INFO; keep that off our INFO logs
# unless someone lowers this logger's level to look at the wire.
wire_log = logging.getLogger("notify.providers.twilio.wire")
wire_log.setLevel(logging.WARNING)


class RebasedTwilioHttpClient(TwilioHttpClient):
    def __init__(self, api_base: str | None, *, timeout: float, pool_size: int = 4) -> None:
        super().__init__(pool_connections=False, timeout=timeout, logger=wire_log)
        # No automatic retries: a POST that reached Twilio and timed out may have
        # sent an SMS; retrying is the worker's decision, with its send ledger.
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
        session = Session()
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        self.session = session
        self._base = urlsplit(api_base.rstrip("/")) if api_base else None

    def rebase(self, url: str) -> str:
        if self._base is None:
            return url
        parts = urlsplit(url)
        return urlunsplit((self._base.scheme, self._base.netloc, self._base.path + parts.path, parts.query,
                           parts.fragment))

    def request(self, method: str, url: str, params=None, data=None, headers=None, auth=None, timeout=None,
                allow_redirects: bool = False) -> Response:
        return super().request(method, self.rebase(url), params=params, data=data, headers=headers, auth=auth,
                               timeout=timeout, allow_redirects=allow_redirects)

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
