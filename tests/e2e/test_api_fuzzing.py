"""The whole OpenAPI document fuzzed with schemathesis against the running platform, signed in as the demo
district's administrator: no input answers a 5xx, and every answer is one the document describes (status,
content type, headers, body schema).

Bounded and seeded so it runs the same way each time, in a few minutes on two cores: FUZZ_MAX_EXAMPLES
cases per operation and phase (default below), FUZZ_SEED to explore elsewhere. The operations that end the
session go last, in a run of their own: before them every operation is fuzzed signed in.
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
from services.notify.service import NotifyService
from shared.contracts import notify
from shared.testing.stack import running_stack

from district_support import import_demo_district, sign_in

pytestmark = pytest.mark.e2e

# 25: about 2,700 cases over the operations in ~105 s of fuzzing (60: ~3,900 in ~210 s), measured on 2 cores.
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "25"))
SEED = int(os.environ.get("FUZZ_SEED", "20261205"))
# What "no 5xx and nothing the document does not describe" means, check by check.
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_headers_conformance", "response_schema_conformance")
PHASES = ("examples", "coverage", "fuzzing")
SESSION_ENDING = ("sign_out", "sign_out_everywhere")
# Sending a verification code asks notify.send_verification_code; until notify serves it (the contract declares
# it), that operation answers 500 by design of the gap, not of the input, and waits outside the run. It joins the
# run by itself once notify serves the method.
NOT_YET_SERVED = () if hasattr(NotifyService, notify.send_verification_code.name) else ("send_my_credential_code",)
RUN_SECONDS = 600


@pytest.fixture
def platform(rabbit_config, database_urls, tmp_path):
    with running_stack(rabbit_config["AMQP_URI"], database_urls, tmp_path / "logs", workers=1) as stack:
        yield stack


def fuzz(platform, token: str, folder: Path, *selection: str) -> tuple[subprocess.CompletedProcess, dict]:
    """One schemathesis run over the selected operations; its exit and its JSON report."""
    folder.mkdir()
    report = folder / "report.json"
    run = subprocess.run([
        str(Path(sys.executable).parent / "schemathesis"), "run", f"{platform.gateway_url}/api/v1/openapi.json",
        "--header", f"Authorization: Bearer {token}", "--checks", ",".join(CHECKS), "--phases", ",".join(PHASES),
        "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED), "--workers", "2", "--no-shrink",
        "--request-timeout", "30", "--report", "json", "--report-json-path", str(report),
        "--suppress-health-check", "all", "--warnings", "off", *selection,
    ], capture_output=True, text=True, timeout=RUN_SECONDS, env={**os.environ, "NO_COLOR": "1"},
        cwd=folder)  # schemathesis keeps a cache of past failures in its working folder: none carried over
    print(run.stdout[-6000:])
    return run, json.loads(report.read_text()) if report.exists() else {}


# The suite's 300 s per test is for a test that hangs; this one runs 260 s on an idle box and twice that on a slow
# one (2026-12-07 afternoon), its fuzzing run bounded by RUN_SECONDS.
@pytest.mark.timeout(900)
def test_no_request_the_document_allows_or_mangles_answers_a_5xx_or_an_answer_it_does_not_describe(
        platform, tmp_path):
    import_demo_district(platform, tmp_path / "district")
    token = sign_in(platform, DEMO_ADMIN_EMAIL)

    started = time.monotonic()
    signed_in, signed_in_report = fuzz(platform, token, tmp_path / "signed-in",
                                       *(f"--exclude-operation-id={name}" for name in SESSION_ENDING + NOT_YET_SERVED))
    # The whole first run was fuzzed signed in: the token still works.
    assert platform.api("GET", "/api/v1/me", token).status_code == 200
    ending, ending_report = fuzz(platform, token, tmp_path / "session-ending",
                                 *(f"--include-operation-id={name}" for name in SESSION_ENDING))
    cases = sum(report.get("test_cases", {}).get("generated", 0) for report in (signed_in_report, ending_report))
    print(f"schemathesis: {cases} cases in {time.monotonic() - started:.0f} s")

    assert signed_in.returncode == 0, signed_in.stdout[-6000:] + signed_in.stderr[-3000:]
    assert ending.returncode == 0, ending.stdout[-6000:] + ending.stderr[-3000:]
    assert signed_in_report and ending_report
