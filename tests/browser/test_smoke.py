from tests.browser.conftest import screenshot


def test_home_page_renders_without_console_errors(page):
    page.goto("/healthz")
    assert "ok" in page.content()
    path = screenshot(page, "healthz")
    assert path.stat().st_size > 0
