"""`school-service NAME [NAME ...]`: run services with the config built from the environment.

Replaces `nameko run --config` so the defaults live in one place (shared.config).
"""
from __future__ import annotations

import shared  # noqa: F401 — silences eventlet's deprecation notice before the import below

import eventlet  # noqa: E402

eventlet.monkey_patch()  # noqa: E402 — must precede every other import that touches sockets

import argparse  # noqa: E402
import importlib  # noqa: E402
import logging  # noqa: E402

from nameko.cli.run import run  # noqa: E402

from shared.broker_faults import BROKER_REFUSED_CREDENTIALS, BrokerFault, check_broker  # noqa: E402
from shared.config import SERVICE_CLASSES, service_config  # noqa: E402
from shared.http_headers import install as install_header_parsing  # noqa: E402
from shared.logs import configure_logging  # noqa: E402
from shared.metrics import serve_metrics  # noqa: E402
from shared.settings import exit_if_misconfigured, value  # noqa: E402


EXIT_UNAVAILABLE, EXIT_CONFIG = 69, 78  # sysexits.h

# Settings only some services read, passed into the nameko config when the environment sets them.
OPTIONAL_SETTINGS = (
    "GATEWAY_PUBLIC_URL",  # the gateway's public base URL, for webhooks behind a proxy (services.gateway.service)
    "GATEWAY_CORS_ORIGINS",  # browser origins allowed to call the API (services.gateway.http)
)


def optional_settings() -> dict[str, str]:
    return {name: value(name) for name in OPTIONAL_SETTINGS if value(name)}


def load_service(name: str):
    module_name, class_name = SERVICE_CLASSES[name].split(":")
    return getattr(importlib.import_module(module_name), class_name)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="school-service", description=__doc__)
    parser.add_argument("services", nargs="+", choices=sorted(SERVICE_CLASSES))
    args = parser.parse_args(argv)
    exit_if_misconfigured(args.services)
    install_header_parsing()  # every request the gateway serves, every answer a service reads
    configure_logging(service=",".join(args.services))
    logging.getLogger(__name__).info("starting %s", ", ".join(args.services))
    serve_metrics(",".join(args.services))
    config = service_config(**optional_settings())
    try:
        check_broker(config["AMQP_URI"], service=",".join(args.services))
    except BrokerFault as fault:
        # A refused login is a setting to fix (EX_CONFIG); a broker that never answered may come back (EX_UNAVAILABLE).
        raise SystemExit(EXIT_CONFIG if fault.failure == BROKER_REFUSED_CREDENTIALS else EXIT_UNAVAILABLE) from None
    run([load_service(name) for name in args.services], config)


if __name__ == "__main__":
    main()
