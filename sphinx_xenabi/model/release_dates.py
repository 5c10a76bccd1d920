"""The day each Xen release the model states came out, so pictures can put releases on a time line.

The days are those of the ``.0`` release of each line, as Xen's own
``CHANGELOG.md`` heads its sections (``## [4.17.0](...RELEASE-4.17.0) -
2022-12-12``): 4.13.0 to 4.17.0 as the file stood after 4.17.0, 4.18.0 to
4.21.0 as the patches that opened each next section left the heading of
the release before it. The 4.18 heading first said 2023-10-30, a planned
day; the release came out on 2023-11-16, the day the later heading states.

Xen 4.22.0 has no day here: none of the sources at hand records one (its
release candidates were tagged from June 2026; the newest source tree this
project is tested on, of 2026-08-20, is later than the release). A release
without a day is drawn apart from the time line, marked as undated,
rather than at a guessed place. Add the day when it is known.

No Sphinx or docutils import.
"""

from __future__ import annotations

from datetime import date
from types import MappingProxyType

from sphinx_xenabi.model.spec import Release

RELEASE_DAYS = MappingProxyType(
    {
        Release(4, 13): date(2019, 12, 17),
        Release(4, 14): date(2020, 7, 23),
        Release(4, 15): date(2021, 4, 8),
        Release(4, 16): date(2021, 12, 2),
        Release(4, 17): date(2022, 12, 12),
        Release(4, 18): date(2023, 11, 16),
        Release(4, 19): date(2024, 7, 29),
        Release(4, 20): date(2025, 3, 5),
        Release(4, 21): date(2025, 11, 19),
    }
)


def release_day(release: Release) -> date | None:
    """The day ``release`` (its ``.0``) came out, or None when it is not recorded."""
    return RELEASE_DAYS.get(release)
