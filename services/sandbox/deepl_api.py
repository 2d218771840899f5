"""DeepL's POST /v2/translate, faked: a deterministic "translation", and a translator that can fail or be slow.

"Translating" prefixes each text with its target language: "Hello" to ES is
"[es] Hello", so a test can tell which language a recipient got. What the
translator does is set at run time:

    POST /sandbox/translator {"fail": bool?, "status": int?, "delay_seconds": float?}
    GET  /sandbox/translator                    the behaviour, and the texts translated so far
"""
from __future__ import annotations

import hmac
import json
import threading
import time

from services.sandbox.state import ApiAnswer, Sandbox, json_answer, json_object, seconds_up_to

DEFAULT_FAILURE_STATUS = 503
MAX_DELAY_SECONDS = 60.0


def translated(text: str, target: str) -> str:
    return f"[{target.lower()}] {text}"


class TranslatorBehaviour:
    """How the fake answers, and what it was asked: shared by the server's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._forget()

    def reset(self) -> None:
        with self._lock:
            self._forget()

    def _forget(self) -> None:
        self.fail = False
        self.failure_status = DEFAULT_FAILURE_STATUS
        self.delay_seconds = 0.0
        self.requests = 0
        self.texts: list[dict] = []

    def configure(self, raw: bytes) -> ApiAnswer:
        payload = json_object(raw)
        if payload is None:
            return json_answer(400, {"error": "expected a JSON object"})
        fail, status = payload.get("fail", False), payload.get("status", DEFAULT_FAILURE_STATUS)
        delay = seconds_up_to(payload.get("delay_seconds", 0.0), MAX_DELAY_SECONDS)
        if not isinstance(fail, bool) or isinstance(status, bool) or not isinstance(status, int) \
                or not 400 <= status <= 599 or delay is None:
            return json_answer(400, {"error": "fail is a boolean, status an HTTP error status, delay_seconds "
                                              f"0 to {MAX_DELAY_SECONDS}"})
        with self._lock:
            self.fail, self.failure_status, self.delay_seconds = fail, status, delay
        return self.describe()

    def describe(self) -> ApiAnswer:
        with self._lock:
            return json_answer(200, {"fail": self.fail, "status": self.failure_status,
                                     "delay_seconds": self.delay_seconds, "requests": self.requests,
                                     "texts": list(self.texts)})

    def translate(self, sandbox: Sandbox, authorization: str | None, raw: bytes) -> ApiAnswer:
        expected = f"DeepL-Auth-Key {sandbox.config.deepl_auth_key}"
        if not hmac.compare_digest((authorization or "").encode(), expected.encode()):
            return json_answer(403, {"message": "Authorization failure, check auth_key"})
        with self._lock:
            self.requests += 1
            fail, status, delay = self.fail, self.failure_status, self.delay_seconds
        if delay:
            time.sleep(delay)
        if fail:
            return json_answer(status, {"message": "The translator was told to fail"})
        try:
            payload = json.loads(raw or b"{}")
            texts, target = payload["text"], payload["target_lang"]
        except (ValueError, KeyError, TypeError):
            return json_answer(400, {"message": "Expected JSON with text and target_lang"})
        if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts) \
                or not isinstance(target, str) or not target:
            return json_answer(400, {"message": "Value for 'text' or 'target_lang' not supported."})
        source = payload.get("source_lang") or "EN"
        answers = [translated(text, target) for text in texts]
        with self._lock:
            self.texts += [{"target_lang": target, "text": text, "translation": answer}
                           for text, answer in zip(texts, answers)]
        return json_answer(200, {"translations": [
            {"detected_source_language": source, "text": answer, "billed_characters": len(text)}
            for text, answer in zip(texts, answers)]})
