"""The home page in a real browser."""

from live_app import screenshot, wait_idle


def test_home_explains_nmf_and_links_both_pages(page, app_url):
    page.goto(app_url)
    wait_idle(page)
    assert page.get_by_role("heading", name="NMF Studio").is_visible()
    assert page.locator(".katex").count() >= 3  # the equations are typeset
    screenshot(page, "home-1280x800")
    nav = page.locator('[data-testid="stSidebarNav"]')
    assert nav.count() == 1  # one navigation, not two
