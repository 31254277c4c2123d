"""The Spike clustering page in a real browser: defaults, a new rank, an
upload with a label column, the 4-channel example, downloads, screenshots
(desktop and phone)."""

import csv
import io

import numpy as np
import pytest

from devtools.live_app import (
    downloaded,
    metric_values,
    screenshot,
    sidebar_upload,
    submit_sidebar_form,
    the_error,
    wait_idle,
    wait_rerun,
)

#: What a phone's Chrome says it is: the page draws fewer panels per row for it.
PHONE_USER_AGENT = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                    "Chrome/126.0 Mobile Safari/537.36")


def open_page(page, app_url):
    page.goto(f"{app_url}/spike_clustering")
    wait_idle(page, timeout=120_000)
    page.locator(".js-plotly-plot").first.locator("text.annotation-text").first.wait_for(timeout=120_000)


def annotations(page) -> list[str]:
    """Every annotation of the notebook figure (the first chart): panel titles and channel names."""
    return page.locator(".js-plotly-plot").first.locator("text.annotation-text").evaluate_all(
        "elements => elements.map(element => element.textContent)")


def panel_titles(page) -> list[str]:
    """Subplot titles of the notebook figure: 'All waveforms (n)' then one per cluster."""
    return [text for text in annotations(page) if "(" in text]


def drawn_images(page) -> int:
    """Density images plotly.js has drawn in the notebook figure (one per panel and channel)."""
    return page.locator(".js-plotly-plot").first.locator("g.hm image").count()


def test_defaults_show_one_panel_per_cluster_and_the_scores(page, app_url):
    open_page(page, app_url)
    titles = panel_titles(page)
    assert titles[0].startswith("All waveforms") and len(titles) == 1 + 4
    metrics = metric_values(page, ["ARI vs reference"])
    assert float(metrics["ARI vs reference"]) > 0.9  # the bundled set has ground truth
    assert page.get_by_text("1,000 waveforms × 150 samples").is_visible()
    assert drawn_images(page) == 1 + 4  # a density image per panel, drawn within wait_idle's wait


def test_the_four_channel_example_draws_a_sub_panel_per_channel(page, app_url):
    open_page(page, app_url)
    page.locator('[data-testid="stSidebar"]').get_by_text("SpikeInterface simulation").click()
    wait_rerun(page)
    assert page.get_by_text("577 waveforms × 300 samples").is_visible()
    assert page.get_by_text("4 channels of 75 samples", exact=False).is_visible()
    # the example opens at its 5 units: 6 panels of 4 channels
    assert page.locator('[data-testid="stSidebar"]').get_by_label("Clusters k (the rank)").input_value() == "5"
    assert [text for text in annotations(page) if text.startswith("ch ")] == ["ch 0", "ch 1", "ch 2", "ch 3"] * 6
    assert drawn_images(page) == 6 * 4
    assert float(metric_values(page, ["ARI vs reference"])["ARI vs reference"]) > 0.9


def test_a_new_rank_changes_the_panels(page, app_url):
    open_page(page, app_url)
    page.locator('[data-testid="stSidebar"]').get_by_label("Clusters k (the rank)").fill("3")
    submit_sidebar_form(page, "Cluster")
    assert len(panel_titles(page)) == 1 + 3


def organoid_csv(n_per_group=30, samples=40):
    rng = np.random.default_rng(0)
    t = np.linspace(0, 1, samples)
    lines = ["uid," + ",".join(map(str, range(samples))) + ",organoid"]
    for group, width in (("A", 0.03), ("B", 0.09)):
        for i in range(n_per_group):
            wave = -np.exp(-((t - 0.3) / width) ** 2) + 0.3 * np.exp(-((t - 0.55) / (2 * width)) ** 2)
            wave += rng.normal(0, 0.03, samples)
            lines.append(f"{group}{i}," + ",".join(f"{v:.4f}" for v in wave) + f",{group}")
    return "\n".join(lines).encode()


def test_an_uploaded_csv_with_a_label_column_is_clustered_and_scored(page, app_url):
    open_page(page, app_url)
    sidebar_upload(page, "organoids.csv", organoid_csv(), "text/csv")
    assert page.get_by_text("Uploaded file: organoids.csv").is_visible()
    assert page.get_by_text("60 waveforms × 40 samples").is_visible()
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.get_by_role("combobox", name="Reference labels").input_value() == "organoid"
    assert metric_values(page, ["ARI vs reference"])["ARI vs reference"] != "—"


def test_a_csv_with_text_in_a_sample_cell_shows_a_message(page, app_url):
    open_page(page, app_url)
    sidebar_upload(page, "broken.csv", b"uid,0,1,2\na,1,2,3\nb,1,oops,3\nc,1,2,3\n", "text/csv")
    assert "oops" in the_error(page)


def test_both_downloads_are_csv_files(page, app_url):
    open_page(page, app_url)
    tables = {label: list(csv.reader(io.StringIO(downloaded(page, label).decode("utf-8"))))
              for label in ("Clusters and weights (CSV)", "Templates (CSV)")}
    clusters = tables["Clusters and weights (CSV)"]
    assert clusters[0][:2] == ["id", "cluster"] and len(clusters) == 1 + 1000
    assert {row[1] for row in clusters[1:]} == {"0", "1", "2", "3"}
    assert len(tables["Templates (CSV)"]) == 1 + 150


@pytest.mark.parametrize("width,height", [(1280, 800), (1920, 1080)])
def test_screenshots(page, app_url, width, height):
    page.set_viewport_size({"width": width, "height": height})
    open_page(page, app_url)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, f"spike-clustering-{width}x{height}")


def test_a_phone_gets_two_panels_per_row(browser, app_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  user_agent=PHONE_USER_AGENT)
    try:
        page = context.new_page()
        open_page(page, app_url)
        page.wait_for_selector(".js-plotly-plot .main-svg")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        rows = page.evaluate("""() => {
            const layout = document.querySelector('.js-plotly-plot').layout;
            return new Set(Object.keys(layout).filter(k => k.startsWith('yaxis')).map(k => layout[k].domain.join())).size;
        }""")
        assert rows == 3  # 5 panels, 2 per row
        screenshot(page, "spike-clustering-390x844")
    finally:
        context.close()
