"""Every service's health check over RPC, declared once here and added to each service's contract.

The gateway's `/health/ready` asks each service in turn; a service answers for what it depends on (its database),
and a service that does not answer in time is reported as not answering by the caller.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.contracts.base import RpcMethod, ServiceContract
from shared.contracts.common import Empty

OK, FAILING = "ok", "failing"
HEALTH_STATES = (OK, FAILING)


class ComponentHealth(Schema):
    name = fields.String(required=True, metadata={"description": "what was checked, e.g. database"})
    status = fields.String(required=True, validate=validate.OneOf(HEALTH_STATES), metadata={
        "description": "ok, or failing"})
    latency_ms = fields.Float(required=True, metadata={"description": "how long the check took, in milliseconds"})
    detail = fields.String(allow_none=True, metadata={
        "description": "why it is failing, without addresses or credentials; null when ok"})


class ServiceHealth(Schema):
    service = fields.String(required=True, metadata={"description": "the service that answered"})
    status = fields.String(required=True, validate=validate.OneOf(HEALTH_STATES), metadata={
        "description": "ok when every check is ok"})
    checks = fields.List(fields.Nested(ComponentHealth), required=True, metadata={
        "description": "one check per database the service holds"})


def declare_health_check(contract: ServiceContract) -> RpcMethod:
    return contract.rpc("check_health", request=Empty, response=ServiceHealth,
                        description="Whether this service and its database answer (for readiness probes and "
                                    "`/health/ready`).")
