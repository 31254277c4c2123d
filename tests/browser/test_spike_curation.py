"""One curation round trip on the Spike clustering page in a real browser:
merge two clusters, undo it, mark a cluster as noise, and download Phy's
cluster_group.tsv, the quality metrics and Phy's metric columns; screenshots of the Curation, Units and Export tabs."""

import io
import zipfile

import pandas as pd

from devtools.live_app import downloaded, screenshot, wait_idle, wait_rerun


def panel_titles(page) -> list[str]:
    """Panel titles of the notebook figure (the first chart): 'All waveforms (n)', 'Cluster c (n)'."""
    texts = page.locator(".js-plotly-plot").first.locator("text.annotation-text").evaluate_all(
        "elements => elements.map(element => element.textContent)")
    return [text for text in texts if text.startswith(("All waveforms", "Cluster"))]


def open_tab(page, label: str) -> None:
    page.get_by_role("tab", name=label).click()
    wait_rerun(page)


def choose(page, key: str, *starts: str) -> None:
    """Pick the options starting with ``starts`` in the multiselect with widget key ``key``."""
    for start in starts:
        page.locator(f".st-key-{key} input").click()
        page.get_by_role("option").filter(has_text=start).first.click()
        wait_idle(page)
    page.keyboard.press("Escape")
    page.get_by_role("heading", name="Spike clustering with NMF").click()  # closes the list before the next click
    wait_idle(page)


def press(page, key: str) -> None:
    page.locator(f".st-key-{key} button").click()
    wait_rerun(page)


def test_merge_undo_mark_noise_and_download_the_phy_groups(page, app_url):
    page.goto(f"{app_url}/spike_clustering")
    wait_idle(page, timeout=120_000)
    # Plotly's code loads on first use: wait for the panel titles this test reads
    page.locator(".js-plotly-plot").first.locator("text.annotation-text").first.wait_for(timeout=120_000)
    fitted = panel_titles(page)
    assert len(fitted) == 1 + 4
    open_tab(page, "Curation")

    choose(page, "spike_merge", "0 (", "1 (")
    press(page, "spike_merge_go")
    merged = panel_titles(page)
    assert merged[2] == "Cluster 1 (0)" and merged[1] != fitted[1]
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.get_by_text("Merge 0 + 1").is_visible()

    press(page, "spike_undo")
    assert panel_titles(page) == fitted
    assert sidebar.get_by_text("(undone)").is_visible()

    choose(page, "spike_mark", "2 (")
    page.locator(".st-key-spike_mark_group").get_by_text("noise", exact=True).click()
    wait_rerun(page)
    press(page, "spike_mark_go")
    assert sidebar.get_by_text("Mark 2 noise").is_visible()
    screenshot(page, "spike-curation")

    open_tab(page, "Export and apply")
    groups = pd.read_csv(io.BytesIO(downloaded(page, "Phy: cluster_group.tsv")), sep="\t")
    assert groups.set_index("cluster_id")["group"].to_dict() == {0: "unsorted", 1: "unsorted", 2: "noise",
                                                                  3: "unsorted"}
    quality = pd.read_csv(io.BytesIO(downloaded(page, "Quality metrics (CSV)")))  # no times: the waveforms' half
    assert quality["cluster_id"].tolist() == [0, 1, 2, 3] and quality["num_spikes"].sum() == 1000
    with zipfile.ZipFile(io.BytesIO(downloaded(page, "Phy: metrics (.zip)"))) as archive:
        assert "cluster_snr.tsv" in archive.namelist()
    screenshot(page, "spike-export")

    open_tab(page, "Units")
    # the bundled sample has no time column
    assert page.get_by_text("without spike times, and these waveforms have none").is_visible()
