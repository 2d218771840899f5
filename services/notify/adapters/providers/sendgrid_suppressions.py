"""SendGrid's suppression lists through the real sendgrid SDK: which lists hold an address, and lifting one.

GET /v3/suppression/<list>/<email> answers an array of entries (empty when the address is not on the list);
GET /v3/asm/suppressions/global/<email> answers an object, empty when the address is not unsubscribed;
DELETE answers 204.
"""
from __future__ import annotations

import json
from urllib.parse import quote

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient

from services.notify.adapters.providers.settings import ProviderSettings
from services.notify.domain.email_suppression import SUPPRESSION_LISTS, SuppressionsUnavailable

GLOBAL_UNSUBSCRIBES = "global_unsubscribes"


class SendGridSuppressions:
    def __init__(self, settings: ProviderSettings) -> None:
        if settings.sendgrid is None:
            raise ValueError("SendGrid is not configured (SENDGRID_API_KEY, SENDGRID_FROM_EMAIL)")
        self._client = SendGridAPIClient(settings.sendgrid.api_key, host=settings.sendgrid.api_base).client
        self._timeout = settings.timeout_seconds

    def lists_holding(self, address: str) -> frozenset[str]:
        return frozenset(name for name in SUPPRESSION_LISTS if self._holds(name, address))

    def remove(self, address: str, list_name: str) -> None:
        self._call(list_name, address, "delete")

    def _holds(self, list_name: str, address: str) -> bool:
        body = self._call(list_name, address, "get")
        try:
            entries = json.loads(body or b"null")
        except ValueError:
            raise SuppressionsUnavailable(f"SendGrid answered its {list_name} list with something not JSON") \
                from None
        return bool(entries)  # a non-empty array, or the global list's {"recipient_email": ...}

    def _call(self, list_name: str, address: str, method: str) -> bytes:
        resource = self._resource(list_name)._(quote(address, safe="@"))
        try:
            response = getattr(resource, method)(timeout=self._timeout)
        except HTTPError as error:
            raise SuppressionsUnavailable(
                f"SendGrid answered {error.status_code} to {method.upper()} on its {list_name} list") from None
        except OSError as error:  # refused, reset, timed out
            raise SuppressionsUnavailable(f"SendGrid could not be reached ({error})") from None
        return response.body

    def _resource(self, list_name: str):
        if list_name == GLOBAL_UNSUBSCRIBES:
            return self._client.asm.suppressions._("global")
        return getattr(self._client.suppression, list_name)
