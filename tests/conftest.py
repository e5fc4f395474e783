"""Test-session order: the object-store tests run last.

After tests/test_remote.py's explorer opened an S3 dataset (read through
Polars from the moto server), every Textual test after it in the same process
ran two to three times slower: the snapshots 3 s -> 9 s each, the whole suite
21 min instead of about 10. The process mostly waited in its event loop; the
cause was not found (not the cyclic GC, not importing moto; the object
store's runtime threads stay alive after the test). Moving those tests to the
end keeps their fixtures (one moto server for the module) and changes
nothing else.
"""

from __future__ import annotations

import pytest

LAST = ("test_remote.py",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.path.name in LAST)  # stable: the rest keep their order
