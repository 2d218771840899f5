"""The directory after PostgreSQL ended its connections: every pooled connection the server ended is
replaced as it leaves the pool, so no search meets one (shared/db.py: check_server_ended)."""
from __future__ import annotations

import uuid

import pytest
from directory_district import seed_district
from nameko.standalone.rpc import ServiceRpcProxy

from services.directory.service import DirectoryService
from shared.testing.faults import terminate_backends, with_application_name

pytestmark = pytest.mark.postgres


def test_after_postgresql_ends_the_directorys_connections_every_search_still_answers(container_factory,
                                                                                     directory_config):
    name = f"directory-{uuid.uuid4().hex[:12]}"
    url = with_application_name(directory_config["DATABASES"]["directory"], name)
    config = {**directory_config, "DATABASES": {"directory": url}}
    container_factory(DirectoryService, config).start()
    with ServiceRpcProxy("directory", config, timeout=60) as directory:
        district = seed_district(directory)

        def searches() -> list[dict]:
            # At once, so several pooled connections are in use and go back to the pool.
            calls = [directory.search_people.call_async({"viewer": district.viewer(viewer), "query": "o"})
                     for viewer in ("district_admin", "north_admin", "tess") * 3]
            return [call.result() for call in calls]

        before = searches()
        assert terminate_backends(url, name) >= 2
        assert searches() == before
