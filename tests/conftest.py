"""Test-session order: the object-store tests run last.

Once a process has read s3:// through Polars (tests/test_remote.py, above all
the explorer opened on an S3 dataset), the object store's runtime stays in the
process, and every Textual test after it ran two to three times slower (the
snapshots 3 s -> 9 s each; the whole suite 21 min instead of about 10). Moving
those tests to the end keeps their fixtures (one moto server for the module)
and changes nothing else.
"""

from __future__ import annotations

import pytest

LAST = ("test_remote.py",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.path.name in LAST)  # stable: the rest keep their order
