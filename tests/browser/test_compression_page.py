"""The Compression page in a real browser: defaults, a new rank, an upload,
downloads, a shared link, the layout at three window sizes, screenshots."""

import csv
import io
import re

import numpy as np
import pytest
from PIL import Image

from devtools.live_app import (
    downloaded,
    metric_values,
    screenshot,
    sidebar_upload,
    submit_sidebar_form,
    the_error,
    wait_idle,
)


def open_page(page, app_url, query=""):
    page.goto(f"{app_url}/compression{query}")
    wait_idle(page, timeout=120_000)


def test_defaults_render_figures_and_filled_metrics(page, app_url):
    open_page(page, app_url)
    assert page.locator(".js-plotly-plot").count() >= 1
    metrics = metric_values(page, ["PSNR", "Relative error", "Numbers stored, k(n + m)"])
    assert re.fullmatch(r"\d+\.\d+ dB", metrics["PSNR"])
    assert float(metrics["Relative error"]) < 0.5
    assert metrics["Numbers stored, k(n + m)"].replace(",", "").isdigit()


def test_a_new_rank_changes_the_numbers(page, app_url):
    open_page(page, app_url)
    shown = ["PSNR", "Numbers stored, k(n + m)"]
    before = metric_values(page, shown)
    page.locator('[data-testid="stSidebar"]').get_by_label("Rank k").fill("5")
    submit_sidebar_form(page, "Compress")
    after = metric_values(page, shown)
    assert after["Numbers stored, k(n + m)"] != before["Numbers stored, k(n + m)"]
    assert float(after["PSNR"].split()[0]) < float(before["PSNR"].split()[0])  # rank 5 keeps less than rank 20
    assert "rank=5" in page.url


def test_an_uploaded_image_is_factorized(page, app_url):
    open_page(page, app_url)
    y, x = np.mgrid[0:120, 0:200]
    pixels = np.stack([x % 256, (2 * y) % 256, ((x + y) * 3) % 256], axis=-1).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=90)
    sidebar_upload(page, "stripes.jpg", buffer.getvalue(), "image/jpeg")
    psnr = metric_values(page, ["PSNR"])["PSNR"]
    assert page.get_by_text("Picture: stripes.jpg").is_visible()
    assert page.get_by_text(re.compile(r"200\s*×\s*120")).first.is_visible()
    assert re.fullmatch(r"\d+\.\d+ dB", psnr)


def test_a_broken_upload_shows_a_message_not_a_traceback(page, app_url):
    open_page(page, app_url)
    sidebar_upload(page, "notes.png", b"this is not a picture at all", "image/png")
    assert "cannot be used" in the_error(page)


def test_every_download_opens(page, app_url):
    open_page(page, app_url)
    page.get_by_role("button", name="Downloads").click()  # the downloads sit in a popover
    files = {label: downloaded(page, label)
             for label in ("Reconstruction (PNG)", "Factors W, H (.npz, float16)", "Loss history (CSV)")}
    picture = Image.open(io.BytesIO(files["Reconstruction (PNG)"]))
    picture.load()
    assert picture.size == (512, 341)
    with np.load(io.BytesIO(files["Factors W, H (.npz, float16)"]), allow_pickle=False) as factors:
        W, H = factors["W"], factors["H"]
        assert W.shape[1] == H.shape[0] == 20 and (W >= 0).all() and (H >= 0).all()
    rows = list(csv.reader(io.StringIO(files["Loss history (CSV)"].decode())))
    assert len(rows) > 2 and all(float(value) >= 0 for value in rows[1][1:])


def test_a_shared_link_reproduces_the_settings(page, app_url):
    open_page(page, app_url, "?rank=7&iter=120&solver=mu&mode=luminance&seed=3")
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.get_by_label("Rank k").input_value() == "7"
    assert sidebar.get_by_label("Iterations").input_value() == "120"
    assert sidebar.get_by_label("Random seed").input_value() == "3"
    assert sidebar.get_by_role("radio", name="MU (as in the article)").is_checked()
    # metric_values waits for what is asserted: on a loaded 2-core machine the page has settled for 400 ms
    # before its metrics were shown, and has run again after settling
    assert metric_values(page, ["Numbers stored, k(n + m)"])["Numbers stored, k(n + m)"] == f"{7 * (341 + 512):,}"


def test_the_button_the_pictures_and_the_tabs_are_in_the_first_screen(page, app_url):
    open_page(page, app_url)  # 1280 × 800
    height = page.viewport_size["height"]
    button = page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Compress").bounding_box()
    tabs = page.get_by_role("tab", name="Rank sweep").bounding_box()
    pictures = page.locator('[data-testid="stMain"] [data-testid="stImage"] img')
    assert pictures.count() == 3
    assert button["y"] + button["height"] <= height and tabs["y"] + tabs["height"] <= height
    assert all(pictures.nth(i).bounding_box()["y"] < tabs["y"] for i in range(3))


def test_on_a_phone_the_pictures_stack_with_their_titles_apart(page, app_url):
    page.set_viewport_size({"width": 390, "height": 844})
    open_page(page, app_url)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    pictures = page.locator('[data-testid="stMain"] [data-testid="stImage"] img')
    boxes = [pictures.nth(i).bounding_box() for i in range(3)]
    assert all(lower["y"] >= upper["y"] + upper["height"] for upper, lower in zip(boxes, boxes[1:]))  # stacked
    titles = [page.get_by_text(text, exact=False).first.bounding_box()
              for text in ("Original (512 × 341 px)", "NMF, rank 20", "Absolute error")]
    assert all(title["y"] + title["height"] <= box["y"] for title, box in zip(titles, boxes))  # above, apart
    screenshot(page, "compression-390x844")


@pytest.mark.parametrize("width,height", [(1280, 800), (1920, 1080)])
def test_screenshots(page, app_url, width, height):
    page.set_viewport_size({"width": width, "height": height})
    open_page(page, app_url)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
    screenshot(page, f"compression-{width}x{height}")
