"""The home page in a real browser."""

import pytest

from devtools.live_app import screenshot, start_server, stop_server, wait_idle


def nav_labels(page) -> list[str]:
    links = page.locator('[data-testid="stSidebarNav"] a').all_inner_texts()
    return [text.split("\n")[-1].strip() for text in links]  # drop the icon


def test_home_explains_nmf_and_links_both_pages(page, app_url):
    page.goto(app_url)
    wait_idle(page)
    assert page.get_by_role("heading", name="NMF Studio").is_visible()
    assert page.locator(".katex").count() >= 3  # the equations are typeset
    chart = page.locator('[data-testid="stPlotlyChart"]')  # drawn within wait_idle's wait
    assert chart.count() == 1 and "break-even k = 205" in chart.inner_text()
    nav = page.locator('[data-testid="stSidebarNav"]')
    assert nav.count() == 1  # one navigation, not two
    assert nav_labels(page) == ["Home", "Compression", "Learn NMF", "Parts, gaps and rank", "Spike clustering"]
    main = page.locator('[data-testid="stMain"]')
    main.get_by_role("link", name="Spike clustering").click()
    wait_idle(page, timeout=120_000)
    assert page.url.endswith("/spike_clustering")
    assert page.get_by_role("heading", name="Spike clustering with NMF").is_visible()


def test_a_deep_link_on_a_fresh_server_gets_the_router(page):
    """The first request may be a shared link to a page: it must get the app's
    navigation and wide layout, not Streamlit's folder-based page list."""
    process, url = start_server()
    try:
        page.goto(f"{url}/compression")
        wait_idle(page, timeout=120_000)
        assert nav_labels(page) == ["Home", "Compression", "Learn NMF", "Parts, gaps and rank", "Spike clustering"]
    finally:
        page.goto("about:blank")  # leave before the server goes, or the page keeps reconnecting
        stop_server(process)


@pytest.mark.parametrize("width,height", [(1280, 800), (1920, 1080)])
def test_screenshots(page, app_url, width, height):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(app_url)
    wait_idle(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, f"home-{width}x{height}")
