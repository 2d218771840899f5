"""Whether the platform can serve requests: the broker carried a question to every service, and each service
and its database answered in time. Kubernetes' readiness probe and operators read it at `/health/ready`."""
from __future__ import annotations

from collections.abc import Mapping

from shared.contracts.errors import PlatformError
from shared.contracts.health import FAILING, OK

READY = "ready"


class NotReady(PlatformError):
    """Some part of the platform is failing; `fields` names each part and why."""

    code = "not_ready"
    http_status = 503


def readiness_report(broker: Mapping, answers: Mapping[str, Mapping | str]) -> dict:
    """The report when everything is ok; NotReady naming what is not otherwise.

    `broker` is the broker's check; `answers` holds, per service, its health answer or why none came.
    """
    services = [answer if not isinstance(answer, str) else
                {"service": name, "status": FAILING, "checks": [], "detail": answer}
                for name, answer in answers.items()]
    failing = {} if broker["status"] == OK else {"broker": [broker["detail"] or "failing"]}
    for service in services:
        reasons = [f"{check['name']}: {check['detail'] or 'failing'}" for check in service["checks"]
                   if check["status"] != OK] or ([service["detail"]] if service.get("detail") else [])
        if service["status"] != OK:
            failing[service["service"]] = reasons or ["failing"]
    if failing:
        raise NotReady("Not ready: " + "; ".join(f"{name} ({', '.join(why)})" for name, why in failing.items()),
                       fields=failing)
    return {"status": READY, "broker": broker, "services": services}
