"""Bad input through the pages, one family at a time: image decoding, image
content, CSV format, CSV content, limits, parameters.

Every refusal must end in exactly one ``st.error`` whose sentence names the
problem, with no exception and the sidebar form still there (so the person can
go on); input the page can still use ends in an ``st.warning`` or ``st.info``
and a result. Messages are Markdown-escaped by the pages (``\\.``), so they are
compared unescaped. Pictures run at the 128 px working size and CSVs are a few
waveforms, so the whole file takes seconds.
"""

from __future__ import annotations

import io
import json
import re
import struct
import zlib

import numpy as np
import pytest
from paths import ROOT
from picture_files import encoded
from PIL import Image
from streamlit.testing.v1 import AppTest

from nnmf_core.images import MAX_PIXELS, MAX_UPLOAD_BYTES
from nnmf_core.spikes import MAX_CSV_BYTES, MAX_SAMPLES, MAX_WAVEFORMS, synthetic_spikes

COMPRESSION = str(ROOT / "app_pages" / "compression.py")
SPIKES = str(ROOT / "app_pages" / "spike_clustering.py")


# ---- driving the pages ----------------------------------------------------------


def compression_page(**query: str) -> AppTest:
    at = AppTest.from_file(COMPRESSION, default_timeout=60)
    for name, value in {"size": "128", **query}.items():
        at.query_params[name] = value
    return at.run()


def upload_picture(at: AppTest, name: str, data: bytes, mime: str = "image/png") -> AppTest:
    at.sidebar.file_uploader[0].set_value((name, data, mime))
    return at.run()


def spike_page() -> AppTest:
    return AppTest.from_file(SPIKES, default_timeout=60).run()


def upload_csv(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="spike_upload").set_value((name, data, "text/csv"))
    return at.run()


def unescaped(text: str) -> str:
    """What the person reads: the pages escape Markdown with backslashes."""
    return re.sub(r"\\(.)", r"\1", text)


def assert_usable(at: AppTest, submit_label: str) -> None:
    """No traceback, and the sidebar form with its submit button is still there."""
    assert not at.exception, [item.value for item in at.exception]
    forms = at.sidebar.get("form")
    assert len(forms) == 1
    assert submit_label in [button.label for button in at.sidebar.button]


def assert_one_error(at: AppTest, phrase: str, submit_label: str, case: str = "") -> None:
    assert_usable(at, submit_label)
    errors = [unescaped(error.value) for error in at.error]
    assert len(errors) == 1, (case, errors)
    assert phrase in errors[0], (case, errors[0])


def figure(at: AppTest, title: str) -> dict:
    shown = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    return next(f for f in shown if f["layout"].get("title", {}).get("text") == title)


# ---- files built in memory -------------------------------------------------------


def gradient(height: int, width: int) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([(x * 7 + y) % 256, (y * 5) % 256, (x + 3 * y) % 256], axis=2).astype(np.uint8)



def png(pixels: np.ndarray) -> bytes:
    return encoded(Image.fromarray(pixels), "PNG", compress_level=1)


def png_declaring(width: int, height: int) -> bytes:
    """A real 2×2 PNG whose header is patched to declare width × height (CRC fixed)."""
    small = png(gradient(2, 2))
    payload = struct.pack(">II", width, height) + small[24:29]
    chunk = struct.pack(">I", len(payload)) + b"IHDR" + payload + struct.pack(">I", zlib.crc32(b"IHDR" + payload))
    return small[:8] + chunk + small[33:]


def animated_gif() -> bytes:
    frames = [Image.fromarray(np.roll(gradient(24, 32), shift, axis=1)) for shift in (0, 8, 16)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100)
    return buffer.getvalue()


def palette_png_with_transparency() -> bytes:
    picture = Image.fromarray(gradient(24, 32)).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    return encoded(picture, "PNG", transparency=0)


def exif_rotated_jpeg() -> bytes:
    stored = gradient(20, 40)
    stored[:10] = 255  # top half white as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    return encoded(Image.fromarray(stored), "JPEG", exif=exif.tobytes(), quality=95)


def truncated_jpeg() -> bytes:
    data = encoded(Image.fromarray(gradient(64, 64)), "JPEG", quality=90)
    return data[: len(data) // 2]


def spikes_csv(n_per_unit: int = 10, *, delimiter: str = ",", decimal: str = ".", negative: bool = False) -> str:
    """40 waveforms (4 units) of 30 samples, one per row after a uid, 0 … 29 header."""
    waveforms, _ = synthetic_spikes(n_per_unit=n_per_unit, n_samples=30, random_state=4)
    if negative:
        waveforms = waveforms - waveforms.max() - 1.0
    lines = [delimiter.join(["uid"] + [str(j) for j in range(30)])]
    lines += [delimiter.join([f"w{i}"] + [f"{v:.4f}".replace(".", decimal) for v in row])
              for i, row in enumerate(waveforms)]
    return "\n".join(lines) + "\n"


# ---- images: decoding -------------------------------------------------------------


@pytest.mark.parametrize(
    "name, data, phrase",
    [
        ("empty.png", b"", "The file is empty (0 bytes)"),
        ("report.png", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
         "The file is a PDF document, not an image"),
        ("notes.png", b"name,value\nalpha,1\nbeta,2\n", "The file is text, not an image"),
        ("cut.jpg", truncated_jpeg(), "The JPEG file is truncated or damaged, so it cannot be decoded"),
    ],
    ids=["zero bytes", "pdf renamed", "text renamed", "truncated jpeg"],
)
def test_undecodable_pictures_show_one_error_and_the_page_recovers(name, data, phrase):
    at = upload_picture(compression_page(), name, data)
    assert_one_error(at, phrase, "Compress")
    assert at.error[0].value.startswith("This file cannot be used.")
    upload_picture(at, "good.png", png(gradient(30, 40)))
    assert_usable(at, "Compress")
    assert not at.error and "Picture: good.png" in [text.value for text in at.text]


# ---- images: content --------------------------------------------------------------


@pytest.mark.parametrize(
    "name, data, phrase",
    [
        ("black.png", png(np.zeros((30, 40, 3), np.uint8)),
         "The picture is black everywhere (every pixel is 0), so the matrix V is all zeros: NMF has nothing to "
         "factor, because W·H = 0 already reproduces it exactly at every rank."),
        ("dot.png", png(gradient(1, 1)), "The image is 1 × 1 pixels; it needs at least 2 pixels in each direction"),
        ("line.png", png(gradient(1, 30)), "The image is 30 × 1 pixels; it needs at least 2 pixels"),
    ],
    ids=["all black", "1x1", "1xN"],
)
def test_pictures_nmf_cannot_factor_show_one_error_saying_why(name, data, phrase):
    at = upload_picture(compression_page(), name, data)
    assert_one_error(at, phrase, "Compress")
    assert not at.metric  # no result was drawn


@pytest.mark.parametrize(
    "name, data, mime, note, size",
    [
        ("moving.gif", animated_gif(), "image/gif", "Animated GIF: using the first of 3 frames.", "32 × 24"),
        ("deep.png", encoded(Image.fromarray(np.arange(24 * 32, dtype=np.uint16).reshape(24, 32) * 80), "PNG"),
         "image/png", "16-bit PNG reduced to 8 bits.", "32 × 24"),
        ("palette.png", palette_png_with_transparency(), "image/png", "Transparency flattened onto white.", "32 × 24"),
        ("print.jpg", encoded(Image.fromarray(gradient(24, 32)).convert("CMYK"), "JPEG", quality=95), "image/jpeg",
         "CMYK converted to RGB.", "32 × 24"),
        ("phone.jpg", exif_rotated_jpeg(), "image/jpeg", "Turned upright from its EXIF orientation tag.", "20 × 40"),
    ],
    ids=["animated gif", "16-bit png", "palette transparency", "cmyk jpeg", "exif rotated"],
)
def test_unusual_pictures_are_used_with_one_note(name, data, mime, note, size):
    at = upload_picture(compression_page(), name, data, mime)
    assert_usable(at, "Compress")
    assert not at.error and not at.warning
    assert [unescaped(info.value) for info in at.info] == [note]
    assert any(f"Original {size} px, used at full size." in caption.value for caption in at.caption)  # upright
    assert f"Original ({size} px)" in [caption.value for caption in at.caption]  # the picture's title


def test_a_picture_larger_than_the_working_size_is_downscaled_and_says_so():
    at = upload_picture(compression_page(), "wide.png", png(gradient(200, 300)))
    assert_usable(at, "Compress")
    assert not at.error and not at.warning
    assert any("Original 300 × 200 px, working copy 128 × 85 px (downscaled for speed)." in caption.value
               for caption in at.caption)


# ---- CSV: format ------------------------------------------------------------------------


def test_csv_format_errors_each_show_one_error_and_the_page_recovers():
    at = spike_page()
    cases = {
        "zero bytes": (b"", "The file is empty (0 bytes)."),
        "header only": (b"uid,0,1,2\n", "The file has a header row but no data rows."),
        "one column": (b"uid\na\nb\n", "Only one column was found."),
        "ragged rows": (b"uid,0,1,2\na,1,2,3\nb,1,2\nc,1,2,3,4\n",
                        "2 rows do not have as many fields as the header (4): row 3 has 3 fields, row 4 has 5 fields"),
        "utf-16 without bom": ("uid,0,1,2\na,1,2,3\nb,3,2,1\n".encode("utf-16-le"),
                               "without a byte-order mark (UTF-16?)"),
    }
    for case, (data, phrase) in cases.items():
        upload_csv(at, f"{case}.csv", data)
        assert_one_error(at, phrase, "Cluster", case)
        assert at.error[0].value.startswith("This file cannot be used.")
    upload_csv(at, "good.csv", spikes_csv().encode())
    assert_usable(at, "Cluster")
    assert not at.error and "40 waveforms × 30 samples" in at.text[0].value


def test_other_separators_decimal_commas_and_encodings_are_read():
    at = spike_page()
    text = spikes_csv()
    cases = {
        "semicolons, decimal commas": spikes_csv(delimiter=";", decimal=",").encode(),
        "tabs": spikes_csv(delimiter="\t").encode(),
        "utf-8 with bom": b"\xef\xbb\xbf" + text.encode(),
        "utf-16 with bom": text.encode("utf-16"),
    }
    for case, data in cases.items():
        upload_csv(at, f"{case}.csv", data)
        assert_usable(at, "Cluster")
        assert not at.error and not at.warning, (case, [item.value for item in at.error + at.warning])
        assert at.text[0].value == f"Uploaded file: {case}.csv\n40 waveforms × 30 samples", case


# ---- CSV: content ------------------------------------------------------------------------


def test_csv_content_errors_name_the_column_and_rows():
    at = spike_page()
    cases = {
        "text in samples": (b"uid,0,1,2\na,1,2,3\nb,1,x,3\nc,1,y,3\n",
                            "Column '1' has 2 cells that are not numbers (row 3: 'x', row 4: 'y')"),
        "empty cells": (b"uid,0,1,2\na,1,2,3\nb,1,,3\nc,1,,3\n", "Column '1' has 2 empty cells (rows 3, 4)"),
        "nan and inf": (b"uid,0,1,2\na,1,2,nan\nb,1,2,inf\nc,1,2,3\n",
                        "Column '2' has 2 cells that are NaN or infinite (row 2: 'nan', row 3: 'inf')"),
        "constant waveforms": (b"uid,0,1,2\na,5,5,5\nb,-1,-1,-1\nc,0,0,0\n",
                               "All 3 waveforms are flat (within each, every sample is equal): they have no shape"),
    }
    for case, (data, phrase) in cases.items():
        upload_csv(at, f"{case}.csv", data)
        assert_one_error(at, phrase, "Cluster", case)
        assert not at.warning, case


def test_csv_content_the_page_can_use_ends_in_a_result_or_one_warning():
    at = upload_csv(spike_page(), "negative.csv", spikes_csv(negative=True).encode())
    assert_usable(at, "Cluster")
    assert not at.error and not at.warning
    assert "40 waveforms × 30 samples" in at.text[0].value and at.metric  # clustered
    lines = spikes_csv().splitlines()
    duplicated = "\n".join([lines[0], *lines[1:6], lines[1].replace("w0,", "w9,", 1), *lines[6:]]) + "\n"
    upload_csv(at, "twice.csv", duplicated.encode())
    assert_usable(at, "Cluster")
    assert not at.error
    assert [unescaped(item.value) for item in at.warning] == [
        "1 id occurs more than once: 'w9' (2×). Each waveform is kept; exports repeat the id."]
    assert "41 waveforms × 30 samples" in at.text[0].value and at.metric


# ---- limits --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "width, height, phrase",
    [
        (7_000, 7_000, "The image declares 7,000 × 7,000 pixels (49.0 megapixels); the limit is 40 megapixels."),
        (50_000, 50_000, "megapixels, so it was refused without being decoded"),
    ],
    ids=["over our limit", "over Pillow's limit"],
)
def test_a_picture_declaring_too_many_pixels_is_refused_from_its_header(width, height, phrase,
                                                                       small_server_upload_limit):
    data = png_declaring(width, height)
    assert len(data) < 200
    at = upload_picture(compression_page(), "bomb.png", data)
    assert_one_error(at, phrase, "Compress")
    uploader = at.sidebar.file_uploader[0]
    assert uploader.proto.max_upload_size_mb == MAX_UPLOAD_BYTES // 2**20
    assert f"{MAX_UPLOAD_BYTES // 2**20} MB and {MAX_PIXELS / 1e6:.0f} megapixels" in uploader.help


@pytest.fixture
def small_server_upload_limit():
    """A server-wide upload limit unlike any page's, so a widget's own limit shows."""
    from streamlit import config

    before = config.get_option("server.maxUploadSize")
    config.set_option("server.maxUploadSize", 1)
    yield
    config.set_option("server.maxUploadSize", before)


def test_csv_limits_are_refused_naming_the_limit(small_server_upload_limit):
    at = spike_page()
    uploader = at.file_uploader(key="spike_upload")
    assert uploader.proto.max_upload_size_mb == MAX_CSV_BYTES // 2**20
    assert f"Up to {MAX_CSV_BYTES // 2**20} MB, {MAX_WAVEFORMS:,} waveforms and {MAX_SAMPLES:,} samples each" \
        in uploader.help
    upload_csv(at, "many.csv", b"uid,0,1,2\n" + b"a,1,-2,3\n" * 200_000)
    assert_one_error(at, "The file holds 200,000 waveforms; the limit is 100,000 (MAX_WAVEFORMS).", "Cluster")
    assert at.code[0].value.startswith("python -m nnmf_core fit many.csv --rank 4")  # what to run instead
    upload_csv(at, "huge.csv", b"uid,0,1,2\n" + b"0" * (MAX_CSV_BYTES - 9))  # one byte over
    assert_one_error(at, "the limit is 52,428,800 bytes (50 MB, MAX_CSV_BYTES)", "Cluster")
    assert "python -m nnmf_core fit huge.csv" in at.code[0].value


# ---- parameters ------------------------------------------------------------------------------


def test_compression_caps_a_request_beyond_the_work_budget_with_one_warning():
    at = compression_page(size="1024", mode="luminance", rank="4", iter="5000", restarts="10")
    assert not at.warning  # the 512 px sample at these settings is within the budget
    upload_picture(at, "big.png", png(gradient(768, 768)))
    assert_usable(at, "Compress")
    assert not at.error
    assert [item.value for item in at.warning] == [
        "At 768 × 768 px, rank 4 and 10 restarts, 5,000 iterations would take about 2.4× what one request may "
        "use here; capped at 2,119 iterations."]
    assert figure(at, "Loss over iterations")["layout"]["xaxis"]["range"] == [1, 2119]  # the fit got the cap
    fit = next(item for item in at.metric if item.label == "Fit")
    assert int(fit.proto.delta.split()[0]) <= 2119
    at.session_state["sweep_ranks"] = "2, 3"
    at.session_state["view"] = "Rank sweep"
    at.run()
    assert_usable(at, "Compress")
    assert not at.error
    assert ("At 768 × 768 px, ranks 2 and 3 with 10 restarts each, 5,000 iterations would take about 2.9× what "
            "one request may use here; capped at 1,695 iterations.") in [item.value for item in at.warning]
    assert figure(at, "Reconstruction and loss per rank")


def test_spike_page_caps_iterations_at_the_maximum_with_one_warning():
    at = spike_page()
    at.number_input(key="spike_rank").set_value(8)
    at.number_input(key="spike_max_iter").set_value(5000)
    at.number_input(key="spike_restarts").set_value(10)
    at.form_submit_button[0].click()
    at.run()
    assert_usable(at, "Cluster")
    assert not at.error
    assert [unescaped(item.value) for item in at.warning] == [
        "For 1,000 waveforms of 150 samples at k = 8 with 10 restarts, 5,000 iterations (and 1,000 for the "
        "article's recipe, fitted for comparison) would take about 2.6× what one request may use here; capped at "
        "1,893 iterations (the article's recipe at 378)."]
    fit = next(item for item in at.metric if item.label == "Fit")
    assert int(fit.proto.delta.split()[0]) <= 1893


def test_spike_rank_above_the_number_of_waveforms_is_one_error():
    at = upload_csv(spike_page(), "three.csv", b"uid,0,1,2\na,0,-1,0\nb,0,-2,1\nc,1,-1,0\n")
    assert_one_error(at, "Cannot form 4 clusters from 3 waveforms.", "Cluster")
    assert at.error[0].value.startswith("These waveforms cannot be clustered with these settings.")
