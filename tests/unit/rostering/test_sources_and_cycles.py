"""Each roster source says whether its read may be frozen without a collection first (RosterSource)."""
import pytest

from services.rostering.adapters.sources.classlink.source import ClassLinkSource
from services.rostering.adapters.sources.clever.source import CleverSource
from services.rostering.adapters.sources.rest_roster import KeptRoster
from services.rostering.adapters.sources.sftp.drop import KeptDrop, StagedDrop
from services.rostering.importing import CsvPackage


def test_only_a_csv_package_read_is_frozen_without_a_collection():
    # test_reader proves a package's read leaves no cycles; nobody has looked at the others' HTTP clients.
    assert CsvPackage.read_leaves_no_cycles is True


@pytest.mark.parametrize("source", [CleverSource, ClassLinkSource, KeptRoster, StagedDrop, KeptDrop])
def test_every_other_source_has_its_read_collected_before_the_freeze(source):
    assert source.read_leaves_no_cycles is False
