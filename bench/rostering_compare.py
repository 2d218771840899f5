"""Rostering's comparison of a stage's keys with what it remembers (AppliedRowRepository.compare_sources), in process.

    python -m bench.rostering_compare --build                      # the district's applied rows, once
    python -m bench.rostering_compare --rounds 3                   # this checkout's comparison
    python -m bench.rostering_compare --module OTHER/applied_rows.py --rounds 3   # another version's

A scratch database (DATABASE, kept) holds a district's applied rows as a district sync leaves them: 100 schools,
4,000 classrooms, 260,000 people (source ids, each with a directory id), 260,000 accounts (keyed by those ids, no
ids of their own), 500,000 enrollments and 240,000 guardian links, 1.26 million rows, a 1 % delta of people and
accounts applied over them once. Each round compares the people and then the accounts as an import asks them:
every key in the package's order with every 100th source fingerprint changed (`delta`), then with none changed
(`unchanged`), then only the changed keys (`incremental`, as a provider's incremental sync asks). Printed per
comparison: seconds, this process's CPU, the PostgreSQL backend's CPU (read from /proc, in ticks of 10 ms), this
process's peak resident set above where it started (its high-water mark reset first) and its resident set after
it, the answer still held; with --memory instead, once per comparison, the Python memory it takes at its peak and
keeps (tracemalloc, which slows it). Under eventlet with psycopg2's wait callback, as in the service.
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import ctypes  # noqa: E402
import gc  # noqa: E402
import importlib.util  # noqa: E402
import io  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

import psycopg2.extensions  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.directory_pages import create_database  # noqa: E402
from bench.platform_stack import cpu_seconds_of, sqlalchemy_url  # noqa: E402
from bench.process_memory import status_mb  # noqa: E402
from shared.db import make_engine  # noqa: E402
from shared.migrations import upgrade  # noqa: E402

DATABASE = "bench_rostering_compare"
DISTRICT = "district-1"
SEED = 11
CHANGED_EVERY = 100
STUDENTS, GUARDIANS, STAFF = 100_000, 150_000, 10_000


def people_keys() -> list[str]:
    """The people's keys in users.csv's order (the generator's: staff, students, guardians)."""
    return ([f"stf-{n:05d}" for n in range(STAFF)] + [f"stu-{n:06d}" for n in range(STUDENTS)]
            + [f"gua-{n:06d}" for n in range(GUARDIANS)])


def build(engine) -> None:
    rng = random.Random(SEED)
    keys = people_keys()
    person_ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in keys]
    entities = [
        ("schools", [(f"sch-{n:03d}", str(uuid.UUID(int=rng.getrandbits(128), version=4)), None) for n in range(100)]),
        ("classrooms", [(f"cls-{n:05d}", None, None) for n in range(4_000)]),
        ("people", [(key, person_id, rng.randbytes(16)) for key, person_id in zip(keys, person_ids)]),
        ("accounts", [(person_id, None, rng.randbytes(16)) for person_id in person_ids]),
        ("enrollments", [(f"enr-{n:07d}", None, None) for n in range(500_000)]),
        ("guardian_links", [(f"gua-{n % GUARDIANS:06d}:stu-{n % STUDENTS:06d}", None, None) for n in range(240_000)]),
    ]
    with Session(engine) as session:
        session.execute(text("DELETE FROM applied_rows"))
        session.execute(text("DELETE FROM applied_districts"))
        number = session.execute(text("INSERT INTO applied_districts (source_key, target_id) VALUES (:k, 'd-1') "
                                      "RETURNING id"), {"k": DISTRICT}).scalar_one()
        cursor = session.connection().connection.dbapi_connection.cursor()
        for entity, rows in entities:
            lines = io.StringIO()
            for row_key, target_id, source in rows:
                lines.write("\t".join((str(number), entity, row_key, "\\\\x" + rng.randbytes(16).hex(),
                                       target_id or "\\N", "\\\\x" + source.hex() if source else "\\N")) + "\n")
            lines.seek(0)
            cursor.copy_expert("COPY applied_rows (district, entity, row_key, fingerprint, target_id, "
                               "source_fingerprint) FROM STDIN", lines)
        # One 1 % delta applied over the full import: its rows' new versions lie at the table's end, as a sync's do.
        for entity in ("people", "accounts"):
            session.execute(text("UPDATE applied_rows SET source_fingerprint = decode(md5(random()::text), 'hex'), "
                                 "fingerprint = decode(md5(random()::text), 'hex') "
                                 "WHERE entity = :e AND row_key = ANY(:k)"),
                            {"e": entity, "k": [row[0] for row in dict(entities)[entity][37::CHANGED_EVERY]]})
        session.commit()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE applied_rows"))


KINDS = ("delta", "unchanged", "incremental")


def asked_of(engine, entity: str, kind: str) -> dict[str, bytes | None]:
    """Every key of the entity in the package's order, with its source as remembered, every 100th changed (`delta`)
    or none (`unchanged`); or only the changed ones (`incremental`, as a provider's incremental sync asks)."""
    changed = kind != "unchanged"
    keys = people_keys()
    with Session(engine) as session:
        remembered = dict(session.execute(text(
            "SELECT row_key, source_fingerprint FROM applied_rows WHERE entity = :e"), {"e": entity}).tuples().all())
        if entity == "accounts":  # keyed by the people's directory ids
            ids = dict(session.execute(text("SELECT row_key, target_id FROM applied_rows WHERE entity = 'people'"))
                       .tuples().all())
            keys = [ids[key] for key in keys]
    asked = {}
    for n, key in enumerate(keys):
        source = bytes(remembered[key])
        if changed and n % CHANGED_EVERY == 0:
            asked[key] = bytes([source[0] ^ 1]) + source[1:]
        elif kind != "incremental":
            asked[key] = source
    return asked


def repository_class(module: Path | None):
    if module is None:
        from services.rostering.adapters.applied_rows import AppliedRowRepository
        return AppliedRowRepository
    spec = importlib.util.spec_from_file_location("compared_applied_rows", module)
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded.AppliedRowRepository


def given_back() -> None:
    """The process's freed memory given back, so that a peak shows what a comparison takes anew."""
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)


def measure(repository, backend: int, entity: str, asked, *, needs_ids: bool) -> tuple[str, object]:
    given_back()
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM back to VmRSS
    before = status_mb("self", "VmRSS")["VmRSS"]
    backend_before, cpu_before, started = cpu_seconds_of(backend), time.process_time(), time.perf_counter()
    answer = repository.compare_sources(DISTRICT, entity, asked, needs_ids=needs_ids)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_before
    backend_cpu = cpu_seconds_of(backend) - backend_before
    memory = status_mb("self", "VmRSS", "VmHWM")
    return (f"{seconds:6.3f} s  rostering CPU {cpu:5.3f} s  PostgreSQL CPU {backend_cpu:5.2f} s  "
            f"peak +{memory['VmHWM'] - before:5.1f} MB  after +{memory['VmRSS'] - before:5.1f} MB  "
            f"differing {len(answer.differing)} unchanged {len(answer.unchanged)}"), answer


def traced(repository, entity: str, asked, *, needs_ids: bool) -> str:
    """The Python memory a comparison takes at its peak and keeps (its answer), as tracemalloc counts it."""
    given_back()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    answer = repository.compare_sources(DISTRICT, entity, asked, needs_ids=needs_ids)
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del answer
    return f"Python's peak +{(peak - before) / 2**20:5.1f} MB  held after +{(held - before) / 2**20:5.1f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", action="store_true", help="build the scratch database's applied rows")
    parser.add_argument("--module", type=Path, help="an applied_rows.py to measure instead of this checkout's")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--memory", action="store_true", help="once per comparison, its memory (tracemalloc)")
    args = parser.parse_args()
    create_database(DATABASE)
    url = sqlalchemy_url(DATABASE)
    if args.build:
        upgrade("rostering", url)
        psycopg2.extensions.set_wait_callback(None)  # psycopg2 refuses COPY under eventlet's wait callback
        build(create_engine(url))
        print("built")
        return
    engine = make_engine(url)
    asks = {(entity, kind): asked_of(engine, entity, kind) for entity in ("people", "accounts") for kind in KINDS}
    repository_type = repository_class(args.module)
    print(f"{args.module or 'this checkout'} (pid {os.getpid()})")
    if args.memory:
        for kind in KINDS:
            for entity in ("people", "accounts"):
                with Session(engine) as session:
                    line = traced(repository_type(session), entity, asks[entity, kind], needs_ids=entity == "people")
                print(f"memory {kind:11} {entity:8} {line}", flush=True)
        return
    for round_number in range(1, args.rounds + 1):
        for kind in KINDS:
            for entity in ("people", "accounts"):
                with Session(engine) as session:
                    backend = session.execute(text("SELECT pg_backend_pid()")).scalar()
                    session.commit()
                    line, answer = measure(repository_type(session), backend, entity, asks[entity, kind],
                                           needs_ids=entity == "people")
                    del answer
                print(f"round {round_number} {kind:11} {entity:8} {line}", flush=True)


if __name__ == "__main__":
    main()
