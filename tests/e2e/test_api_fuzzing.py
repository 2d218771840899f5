"""The whole OpenAPI document fuzzed with schemathesis against the running platform, signed in as the demo
district's administrator: no input answers a 5xx, and every answer is one the document describes (status,
content type, headers, body schema).

Bounded and seeded so it runs the same way each time, in a few minutes on two cores: FUZZ_MAX_EXAMPLES
cases per operation and phase (default below), FUZZ_SEED to explore elsewhere.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from schoolctl.demo import DEMO_ADMIN_EMAIL
from shared.testing.stack import running_stack

from district_support import import_demo_district, sign_in

pytestmark = pytest.mark.e2e

# 25: about 2,700 cases over the 43 operations in ~105 s of fuzzing (60: ~3,900 in ~210 s), measured on 2 cores.
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "25"))
SEED = int(os.environ.get("FUZZ_SEED", "20261205"))
# What "no 5xx and nothing the document does not describe" means, check by check.
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_headers_conformance", "response_schema_conformance")
PHASES = ("examples", "coverage", "fuzzing")
RUN_SECONDS = 600


@pytest.fixture
def platform(rabbit_config, database_urls, tmp_path):
    with running_stack(rabbit_config["AMQP_URI"], database_urls, tmp_path / "logs", workers=1) as stack:
        yield stack


def test_no_request_the_document_allows_or_mangles_answers_a_5xx_or_an_answer_it_does_not_describe(
        platform, tmp_path):
    import_demo_district(platform, tmp_path / "district")
    token = sign_in(platform, DEMO_ADMIN_EMAIL)
    report = tmp_path / "fuzz.json"

    started = time.monotonic()
    run = subprocess.run([
        str(Path(sys.executable).parent / "schemathesis"), "run", f"{platform.gateway_url}/api/v1/openapi.json",
        "--header", f"Authorization: Bearer {token}", "--checks", ",".join(CHECKS), "--phases", ",".join(PHASES),
        "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED), "--workers", "2", "--no-shrink",
        "--request-timeout", "30", "--report", "json", "--report-json-path", str(report),
        "--suppress-health-check", "all", "--warnings", "off",
    ], capture_output=True, text=True, timeout=RUN_SECONDS, env={**os.environ, "NO_COLOR": "1"},
        cwd=tmp_path)  # schemathesis keeps a cache of past failures in its working folder: none carried over
    seconds = time.monotonic() - started

    summary = run.stdout[-6000:]
    print(f"schemathesis: {seconds:.0f} s, exit {run.returncode}\n{summary}")
    assert run.returncode == 0, f"{summary}\n{run.stderr[-3000:]}"
    assert report.exists() and json.loads(report.read_text())
