"""Throughput of the sandbox, measured the way the delivery workers will load it.

    python -m services.sandbox.bench [--seconds 5] [--processes 1 2] [--client http.client requests twilio-sms]

Starts its own sandbox child process, then for each client kind and process
count runs that many client processes, each sending small keep-alive POSTs
(a Twilio message create, no status callback) as fast as it can, and prints
messages per second. `http.client` is the cheapest Python client (it shows
what the server sustains); `requests` is what the twilio SDK uses;
`twilio-sms` goes through notify's TwilioSms adapter and the real SDK.
"""
from __future__ import annotations

import argparse
import base64
import http.client
import multiprocessing
import time
from urllib.parse import urlencode, urlsplit

from services.sandbox.config import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN
from services.sandbox.process import running_sandbox

MESSAGES_PATH = f"/2010-04-01/Accounts/{DEFAULT_ACCOUNT_SID}/Messages.json"
FORM = {"To": "+15555550100", "From": "+15005550006", "Body": "School closes at noon today."}
AUTH = "Basic " + base64.b64encode(f"{DEFAULT_ACCOUNT_SID}:{DEFAULT_AUTH_TOKEN}".encode()).decode()


def _http_client_loop(base_url: str, seconds: float) -> int:
    connection = http.client.HTTPConnection(urlsplit(base_url).netloc)
    body = urlencode(FORM).encode()
    headers = {"Authorization": AUTH, "Content-Type": "application/x-www-form-urlencoded"}
    sent, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        connection.request("POST", MESSAGES_PATH, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status != 201:
            raise RuntimeError(f"sandbox answered {response.status}")
        sent += 1
    connection.close()
    return sent


def _requests_loop(base_url: str, seconds: float) -> int:
    import requests

    session = requests.Session()
    sent, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        session.post(base_url + MESSAGES_PATH, data=FORM, auth=(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN),
                     timeout=10).raise_for_status()
        sent += 1
    session.close()
    return sent


def _twilio_sms_loop(base_url: str, seconds: float) -> int:
    # Imported here: the sandbox itself does not depend on notify.
    from services.notify.adapters.providers import ProviderSettings, TwilioSettings, TwilioSms
    from services.notify.domain.delivery import Channel, Outcome, OutboundMessage

    settings = ProviderSettings(twilio=TwilioSettings(account_sid=DEFAULT_ACCOUNT_SID, auth_token=DEFAULT_AUTH_TOKEN,
                                                      from_number=FORM["From"], api_base=base_url))
    sms = TwilioSms(settings)
    batch = [OutboundMessage(f"d{n}", Channel.SMS, FORM["To"], FORM["Body"]) for n in range(50)]
    sent, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        receipts = sms.send(batch)
        if any(receipt.outcome is not Outcome.ACCEPTED for receipt in receipts):
            raise RuntimeError(f"a send was not accepted: {receipts[0]}")
        sent += len(receipts)
    sms.close()
    return sent


CLIENTS = {"http.client": _http_client_loop, "requests": _requests_loop, "twilio-sms": _twilio_sms_loop}


def measure(base_url: str, client: str, processes: int, seconds: float) -> float:
    """Messages per second over all processes; each process times its own loop."""
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        counts = pool.starmap(CLIENTS[client], [(base_url, seconds)] * processes)
    return sum(counts) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--client", nargs="+", choices=sorted(CLIENTS), default=list(CLIENTS))
    args = parser.parse_args()
    with running_sandbox() as sandbox:
        for client in args.client:
            for processes in args.processes:
                rate = measure(sandbox.base_url, client, processes, args.seconds)
                print(f"{client:12s} {processes} process(es): {rate:8.0f} POST/s", flush=True)
                sandbox.client.clear_messages()


if __name__ == "__main__":
    main()
