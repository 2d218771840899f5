"""The twilio SDK's HTTP client: urllib3 keep-alive pools, pointed at a base URL of our choosing.

Twilio takes one message per request, so the client's CPU per request sets a
worker's SMS rate. The SDK's own TwilioHttpClient goes through `requests`
(a Request, prepare_request, the environment's proxy settings merged again,
hooks, a Response) on every call; measured against the sandbox on a 2-core
box, that is ~1.3 ms of client CPU per POST, while the same POST through
urllib3 (what `requests` itself sends with) costs ~0.5 ms. The SDK only asks
its client for `request(...) -> twilio.http.response.Response`, so this one
speaks urllib3 directly, keeps what mattered of `requests`' behaviour (form
or JSON bodies, basic auth, CA bundle, proxies from the environment, no
automatic retries) and works out once, per process, what `requests` redid
per call.

twilio 9 builds absolute https://api.twilio.com/... URLs and its edge/region
settings cannot name a loopback host (PLATFORM-NOTES), so the sandbox is
reached by rewriting scheme and host here, keeping path and query.

Transport failures come out as `requests` exceptions (ConnectionError,
Timeout), as they did from the SDK's client: callers classify them the same.
"""
from __future__ import annotations

import json
import logging
import urllib.request
from base64 import b64encode
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests
import urllib3
from twilio.http import HttpClient
from twilio.http.response import Response
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

# The SDK logs every request and response at INFO; keep that off our INFO logs
# unless someone lowers this logger's level to look at the wire.
wire_log = logging.getLogger("notify.providers.twilio.wire")
wire_log.setLevel(logging.WARNING)

TWILIO_API = "https://api.twilio.com"
JSON_TYPES = ("application/json", "application/scim+json")


def _ca_bundle() -> str | None:
    try:
        import certifi  # what `requests` verifies against; installed with it
    except ImportError:  # pragma: no cover — then the system store
        return None
    return certifi.where()


def _pool_manager(target: str, pool_size: int) -> urllib3.PoolManager:
    """Keep-alive pools for the one host this client talks to, through the environment's proxy if any.

    `requests` looked the proxy up in the environment on every call; the host never changes, so once.
    """
    options = {"num_pools": 4, "maxsize": pool_size, "block": False, "retries": False,
               "cert_reqs": "CERT_REQUIRED", "ca_certs": _ca_bundle()}
    parts = urlsplit(target)
    proxy = None if urllib.request.proxy_bypass(parts.hostname or "") else \
        urllib.request.getproxies().get(parts.scheme)
    if proxy:
        return urllib3.ProxyManager(proxy, **options)
    return urllib3.PoolManager(**options)


def _form_pairs(data) -> list[tuple[str, str]]:
    """What `requests` sends for a dict body: None values left out, lists as repeated keys."""
    pairs = []
    for key, value in (data.items() if hasattr(data, "items") else data):
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            pairs.extend((key, item) for item in value if item is not None)
        else:
            pairs.append((key, value))
    return pairs


class RebasedTwilioHttpClient(HttpClient):
    def __init__(self, api_base: str | None, *, timeout: float, pool_size: int = 4) -> None:
        super().__init__(wire_log, False, timeout)
        self._base = urlsplit(api_base.rstrip("/")) if api_base else None
        self._pools = _pool_manager(self.rebase(TWILIO_API), pool_size)
        self._auth_headers: dict[tuple[str, str], str] = {}
        target = urlsplit(self.rebase(TWILIO_API))
        self._origin = f"{target.scheme}://{target.netloc}"
        self._pool = None  # the API host's, once asked for

    def rebase(self, url: str) -> str:
        if self._base is None:
            return url
        parts = urlsplit(url)
        return urlunsplit((self._base.scheme, self._base.netloc, self._base.path + parts.path, parts.query,
                           parts.fragment))

    def request(self, method: str, url: str, params=None, data=None, headers=None, auth=None, timeout=None,
                allow_redirects: bool = False) -> Response:
        if timeout is None:
            timeout = self.timeout
        elif timeout <= 0:
            raise ValueError(timeout)
        method = method.upper()
        url = self.rebase(url)
        if params:
            url += ("&" if "?" in url else "?") + urlencode(_form_pairs(params), doseq=False)
        headers = dict(headers or {})
        body = None
        if data is not None and (data or method in ("POST", "PUT", "PATCH")):
            if headers.get("Content-Type") in JSON_TYPES:
                body = json.dumps(data).encode()
            else:
                body = urlencode(_form_pairs(data)).encode()
                headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        if auth is not None:
            headers["Authorization"] = self._basic(auth)
        if self.logger.isEnabledFor(logging.INFO):
            self.log_request({"method": method, "url": url, "params": None, "headers": headers})
        self._test_only_last_response = None
        pool, target = self._pool_for(url, allow_redirects)
        try:
            answer = pool.urlopen(method, target, body=body, headers=headers, redirect=allow_redirects,
                                  retries=False, timeout=urllib3.Timeout(connect=timeout, read=timeout),
                                  assert_same_host=False)
        # No automatic retries: a POST that reached Twilio and timed out may have sent an SMS;
        # retrying is the worker's decision, with its send ledger.
        except NewConnectionError as error:  # a subclass of ConnectTimeoutError, for history's sake
            raise requests.exceptions.ConnectionError(error) from error
        except Urllib3Timeout as error:
            raise requests.exceptions.Timeout(error) from error
        except Urllib3Error as error:
            raise requests.exceptions.ConnectionError(error) from error
        if self.logger.isEnabledFor(logging.INFO):
            self.log_response(answer.status, answer)
        response = Response(answer.status, _text(answer), answer.headers)
        self._test_only_last_response = response
        return response

    def _pool_for(self, url: str, allow_redirects: bool):
        """Every request goes to the one API host: its keep-alive pool is asked for directly, without the
        manager parsing each URL again to find it. Through a proxy, or following redirects, the manager's way."""
        if allow_redirects or isinstance(self._pools, urllib3.ProxyManager) or \
                not url.startswith(self._origin + "/"):
            return self._pools, url
        if self._pool is None:
            self._pool = self._pools.connection_from_url(self._origin)
        return self._pool, url[len(self._origin):]

    def _basic(self, auth: tuple[str, str]) -> str:
        key = (str(auth[0]), str(auth[1]))
        header = self._auth_headers.get(key)
        if header is None:
            header = "Basic " + b64encode(f"{key[0]}:{key[1]}".encode("latin1")).decode("ascii")
            self._auth_headers = {key: header}  # one account per client: keep only the latest
        return header

    def close(self) -> None:
        self._pool = None
        self._pools.clear()


def _text(answer: urllib3.BaseHTTPResponse) -> str:
    """The body as text: the charset the answer names, else UTF-8 (Twilio answers JSON)."""
    charset = "utf-8"
    for part in (answer.headers.get("Content-Type") or "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            charset = value.strip('"')
    try:
        return answer.data.decode(charset, "replace")
    except LookupError:
        return answer.data.decode("utf-8", "replace")
