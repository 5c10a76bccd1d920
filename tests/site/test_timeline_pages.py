"""The site's ABI history and its drift page show one time line: Xen's releases and its window.

The directives in small builds: tests/sphinx/test_timeline_directives.py.
"""

from __future__ import annotations

import re

from support.building import Build


def _time_line(html: str) -> tuple[str, str]:
    """The page's one time line, its ids made neutral, and the words under it."""
    (svg,) = re.findall(r'<svg [^>]*xenabi-abi-timeline".*?</svg>', html, re.S)
    prefix = re.search(r'aria-labelledby="(\S+)-title', svg)
    words = re.search(r'<p class="xenabi-timeline-text">(.*?)</p>', html, re.S)
    assert prefix is not None and words is not None
    return svg.replace(prefix.group(1), "ID"), words.group(1)


def test_the_abi_history_and_the_drift_page_show_the_same_time_line(site: Build) -> None:
    abi = _time_line((site.outdir / "guest-guide/x86/hypercall-abi.html").read_text("utf-8"))
    drift = _time_line((site.outdir / "tooling/history.html").read_text("utf-8"))
    assert abi == drift
    svg, words = abi
    for release in ("4.13", "4.17", "4.21", "4.22"):
        assert f">{release}</text>" in svg
    assert "4.17 (2022-12-12): 1 breaking" in words
    assert words.endswith(
        "The x86 docs disagreed with the source from 2021-12-03 to 2023-10-10, 675 days; "
        "Xen 4.17 was released in that window."
    )
