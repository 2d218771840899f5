"""Provider answers into the send ledger as they come: the worker's one write between two provider requests.

A claim ('sending', written before the call) becomes 'answered' with its receipt,
so a worker killed mid-page leaves at most its request in flight unanswered.
This write sits on every SMS's path, so on PostgreSQL it goes on a connection of
its own, in autocommit: one round trip, no BEGIN and COMMIT around it (on a
loaded machine each round trip waits for the scheduler). That connection does
not wait for the WAL's flush (synchronous_commit off): the fault guarded against
is the worker dying, which a commit survives; should the server itself crash,
its last instants of answers go back to 'sending' and are sent again
(at-least-once holds). Other writes keep the server's setting.

The statement goes to the driver's cursor as compiled once (KEEP_ANSWER itself,
its constants bound): through `Connection.execute` each answer cost the worker
about 60 microseconds of CPU in SQLAlchemy's per-call work, about as much as
the SDK's whole request to the provider. Driver errors come out as SQLAlchemy's
(OperationalError for a dropped connection), as they did.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Connection, Engine, bindparam, update
from sqlalchemy.exc import DBAPIError

from services.notify.adapters.tables import send_ledger
from services.notify.domain.delivery import Channel, ProviderReceipt

SENDING, ANSWERED = "sending", "answered"

# Only this job's claim of the key takes its provider's answer.
KEEP_ANSWER = update(send_ledger).where(
    send_ledger.c.communication_id == bindparam("b_communication_id"),
    send_ledger.c.channel == bindparam("b_channel"), send_ledger.c.person_id == bindparam("b_person_id"),
    send_ledger.c.job_id == bindparam("b_job_id"), send_ledger.c.state == SENDING,
).values(state=ANSWERED, written_at=bindparam("b_now"), outcome=bindparam("b_outcome"),
         provider_message_id=bindparam("b_message_id"), provider_code=bindparam("b_code"),
         reason=bindparam("b_reason"))


def answer_rows(communication_id: str, channel: Channel, answers: Mapping[str, ProviderReceipt], *,
                job_id: str, now: datetime) -> list[dict]:
    """KEEP_ANSWER's parameters, one row per person answered for."""
    return [{"b_communication_id": communication_id, "b_channel": channel.value, "b_person_id": person_id,
             "b_job_id": job_id, "b_now": now, "b_outcome": receipt.outcome.value,
             "b_message_id": receipt.provider_message_id, "b_code": receipt.provider_code,
             "b_reason": receipt.reason} for person_id, receipt in answers.items()]


class AnswerConnection:
    """PostgreSQL: KEEP_ANSWER on a connection of its own, autocommit, not waiting for the WAL's flush."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None
        self._cursor = None
        compiled = KEEP_ANSWER.compile(dialect=engine.dialect)
        self._sql = compiled.string
        # The statement's own values ('answered', 'sending'); each row brings the rest.
        self._constants = {name: bind.effective_value for bind, name in compiled.bind_names.items()
                           if not bind.required}
        self._driver_error = engine.dialect.loaded_dbapi.Error

    def keep(self, rows: list[dict]) -> None:
        cursor = self._cursor or self._open()
        try:
            for row in rows:
                cursor.execute(self._sql, {**self._constants, **row})
        except self._driver_error as error:
            self.close()  # a terminated backend: the next answer opens a new connection
            raise DBAPIError.instance(self._sql, rows, error, self._driver_error,
                                      dialect=self._engine.dialect) from error

    def close(self) -> None:
        if self._connection is not None:
            self._cursor = None
            # Never back into the pool: its synchronous_commit would follow it into other writes.
            self._connection.invalidate()
            self._connection.close()
            self._connection = None

    def _open(self):
        connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            connection.exec_driver_sql("SET synchronous_commit TO off")
            connection.commit()  # autocommit: ends SQLAlchemy's transaction, sends nothing
            cursor = connection.connection.dbapi_connection.cursor()
        except DBAPIError:
            connection.invalidate()
            connection.close()
            raise
        self._connection, self._cursor = connection, cursor
        return cursor
