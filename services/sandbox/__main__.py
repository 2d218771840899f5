"""`python -m services.sandbox` (console script `school-sandbox`): serve until SIGINT or SIGTERM.

The first line on stdout is `sandbox listening on <base URL>`, so a parent
process that asked for port 0 learns the port the sandbox got.
"""
from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Sequence

from services.sandbox.config import config_from
from services.sandbox.server import SandboxServer
from services.sandbox.signing import public_key_base64
from shared.http_headers import install as install_header_parsing
from shared.settings import exit_if_misconfigured


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    exit_if_misconfigured(["sandbox"])
    install_header_parsing()  # each API request's headers, each webhook answer's
    config = config_from(argv)
    logging.basicConfig(level=logging.INFO if config.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s", stream=sys.stderr)
    server = SandboxServer(config)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    print(f"sandbox listening on {server.base_url}", flush=True)
    print(f"sandbox SendGrid event webhook public key: {public_key_base64(server.app.sandbox.signing_key)}",
          file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
