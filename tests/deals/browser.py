"""Browser helpers for the deals journeys (tests/browser/test_board*.py and friends).

`tolerant_page` is the harness's page with one difference: Chromium logs every 4xx response as
a console error, and the deals pages answer a refused move or edit with 409 (conflict) or 422
(invalid input) on purpose (DESIGN §5-6). Those two are expected; any other console error, page
error or CSP violation still fails the test, unless the test lists it in `page.also_expected`."""

from __future__ import annotations

import re

from tests.browser.conftest import PageProblems

EXPECTED = re.compile(
    r"^console error: Failed to load resource: the server responded with a status of "
    r"(409 \(CONFLICT\)|422 \(UNPROCESSABLE ENTITY\))$"
)


def tolerant_page(chromium, live_server):
    """Generator for a `page` fixture: yields a fresh page, then checks its console."""
    context = chromium.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems = PageProblems(page)
    yield page
    context.close()
    # A test that provokes another error on purpose lists its patterns in `page.also_expected`.
    patterns = [EXPECTED, *(re.compile(p) for p in getattr(page, "also_expected", ()))]
    unexpected = [m for m in problems.messages if not any(p.search(m) for p in patterns)]
    assert unexpected == [], "\n".join(unexpected)
