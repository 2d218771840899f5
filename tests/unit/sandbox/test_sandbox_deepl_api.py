"""The sandbox's fake DeepL as a function: deterministic translations, its key, and being told to fail."""
from __future__ import annotations

import json

import pytest

from services.sandbox.config import SandboxConfig
from services.sandbox.deepl_api import TranslatorBehaviour
from services.sandbox.state import Sandbox

AUTH = "DeepL-Auth-Key test-key"


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(SandboxConfig(deepl_auth_key="test-key"))


def translate(behaviour: TranslatorBehaviour, sandbox: Sandbox, payload: object, auth: str = AUTH):
    answer = behaviour.translate(sandbox, auth, json.dumps(payload).encode())
    return answer.status, json.loads(answer.body)


def test_each_text_comes_back_prefixed_with_its_target_language_and_is_remembered(sandbox):
    behaviour = TranslatorBehaviour()

    status, body = translate(behaviour, sandbox, {"text": ["Hello", "Bye"], "target_lang": "ES"})

    assert status == 200 and [t["text"] for t in body["translations"]] == ["[es] Hello", "[es] Bye"]
    assert [entry["translation"] for entry in json.loads(behaviour.describe().body)["texts"]] == [
        "[es] Hello", "[es] Bye"]


def test_a_wrong_key_and_a_malformed_request_are_refused(sandbox):
    behaviour = TranslatorBehaviour()

    assert translate(behaviour, sandbox, {"text": ["Hello"], "target_lang": "ES"}, auth="DeepL-Auth-Key x")[0] == 403
    assert translate(behaviour, sandbox, {"text": "Hello", "target_lang": "ES"})[0] == 400
    assert translate(behaviour, sandbox, {"text": ["Hello"]})[0] == 400


def test_told_to_fail_it_answers_the_error_until_told_otherwise_or_reset(sandbox):
    behaviour = TranslatorBehaviour()
    assert behaviour.configure(b'{"fail": true, "status": 456}').status == 200

    assert translate(behaviour, sandbox, {"text": ["Hello"], "target_lang": "ES"})[0] == 456
    behaviour.reset()
    assert translate(behaviour, sandbox, {"text": ["Hello"], "target_lang": "ES"})[0] == 200


def test_a_bad_behaviour_is_refused():
    behaviour = TranslatorBehaviour()

    assert behaviour.configure(b'{"delay_seconds": -1}').status == 400
    assert behaviour.configure(b'{"status": 200, "fail": true}').status == 400
    assert behaviour.configure(b'[1]').status == 400
    # JSON's true is a boolean to the sandbox, never the number 1.
    assert behaviour.configure(b'{"delay_seconds": true}').status == 400
    assert behaviour.configure(b'{"fail": true, "status": true}').status == 400
    assert behaviour.configure(b'{"delay_seconds": 61}').status == 400
