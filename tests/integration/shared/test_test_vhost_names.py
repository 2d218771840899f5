"""Each test's broker vhost is named apart from the global `random` (tests/conftest.py's `vhost_pipeline`): while a
property test runs, Hypothesis seeds that generator alike in every process, and test groups run side by side."""
from __future__ import annotations

import random


def test_vhosts_made_from_the_same_global_random_state_are_named_apart(vhost_pipeline, rabbit_manager):
    made = []
    try:
        for _ in range(2):
            random.seed(0)  # as Hypothesis leaves it in every process
            made.append(vhost_pipeline.create())
        assert made[0] != made[1]
        assert set(made) <= {vhost["name"] for vhost in rabbit_manager.get_all_vhosts()}
    finally:
        for vhost in made:
            rabbit_manager.delete_vhost(vhost)
