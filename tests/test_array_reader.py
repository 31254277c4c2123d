"""Reading waveforms from .npy and .npz uploads, and choosing the reader of
an upload (nnmf_core.spikes.array_reader): what is read, and every refusal
with its sentence."""

from __future__ import annotations

import io
import pickle
import zipfile

import numpy as np
import pytest

from nnmf_core.errors import InputError
from nnmf_core.spikes import (
    MAX_ARRAY_VALUES,
    MAX_SAMPLES,
    MAX_WAVEFORMS,
    SAMPLE_SPIKES_CSV,
    read_npy,
    read_npz,
    read_spike_file,
    read_waveforms,
)


def npy(array, **kwargs) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, **kwargs)
    return buffer.getvalue()


def npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def npy_header_only(shape, dtype="<f8") -> bytes:
    """A .npy file that declares ``shape`` but holds no data (a small file claiming a huge array)."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


RNG = np.random.default_rng(0)
WAVES = RNG.normal(size=(6, 20))


# ---------------------------------------------------------------- what is read


def test_npy_two_dimensional_is_read_as_is():
    table = read_npy(npy(WAVES.astype(np.float32)))
    assert table.waveforms.dtype == np.float64 and np.allclose(table.waveforms, WAVES.astype(np.float32))
    assert table.ids == ["1", "2", "3", "4", "5", "6"] and table.sample_names[:2] == ["0", "1"]
    assert table.channels == 1 and table.spike_times is None and table.sampling_rate is None


def test_npy_three_dimensional_concatenates_channel_after_channel():
    cube = RNG.normal(size=(5, 10, 3))  # waveforms × samples × channels
    table = read_npy(npy(cube))
    assert table.waveforms.shape == (5, 30) and table.channels == 3
    assert np.array_equal(table.waveforms[2, 10:20], cube[2, :, 1])
    assert table.sample_names[10] == "ch1_0"


def test_integer_arrays_are_numbers_too():
    assert read_npy(npy((WAVES * 100).astype(np.int16))).waveforms.dtype == np.float64


def test_npz_with_everything():
    labels = np.array(["a", "b", "a", "c", "b", "a"])
    data = npz(waveforms=WAVES, spike_times=np.linspace(0, 5, 6), labels=labels, sampling_rate=25_000,
               ids=np.array([f"u{i}" for i in range(6)]), extra=np.zeros(3))
    table = read_npz(data)
    assert np.array_equal(table.waveforms, WAVES)
    assert table.spike_times.tolist() == np.linspace(0, 5, 6).tolist() and table.sampling_rate == 25_000.0
    assert table.label_columns == {"labels": labels.tolist()} and table.ids[0] == "u0"
    assert any("extra" in note for note in table.notes)


def test_npz_sample_indices_and_channels_and_a_lone_array():
    table = read_npz(npz(waveforms=WAVES, spike_times=np.arange(6) * 300, sampling_rate=30_000.0, channels=2))
    assert np.allclose(table.spike_times, np.arange(6) * 0.01) and table.channels == 2
    assert any("sample indices" in note for note in table.notes)
    buffer = io.BytesIO()
    np.savez(buffer, WAVES)  # saved without a name: arr_0
    assert np.array_equal(read_npz(buffer.getvalue()).waveforms, WAVES)


def test_notes_for_flat_waveforms_and_repeated_ids():
    waves = WAVES.copy()
    waves[1] = 2.0
    table = read_npz(npz(waveforms=waves, ids=np.array(["x", "x", "y", "z", "w", "v"])))
    assert any("flat" in note for note in table.notes) and any("more than once" in note for note in table.notes)


def test_read_spike_file_chooses_by_signature_and_name():
    assert read_spike_file("w.npy", npy(WAVES)).n_waveforms == 6
    assert read_spike_file("session.bin", npz(waveforms=WAVES)).n_waveforms == 6  # the bytes decide
    csv = SAMPLE_SPIKES_CSV.read_bytes()
    assert np.array_equal(read_spike_file("spikes.csv", csv).waveforms, read_waveforms(csv).waveforms)
    transposed = b"t,a,b\n0,1,2\n1,3,4\n2,5,7\n"
    assert read_spike_file("x.csv", transposed, transposed=True).ids == ["a", "b"]


# ---------------------------------------------------------------- refusals


class Payload:
    """Anything whose unpickling would run code."""

    def __reduce__(self):
        return (print, ("pwned",))


@pytest.mark.parametrize("data, message", [
    (npy(np.array([Payload(), 1], dtype=object), allow_pickle=True), "Python objects"),
    (npy(np.zeros(5, dtype=[("a", "f8"), ("b", "f8")])), "structured array"),
    (npy(np.array(["a", "b", "c"])), "must hold numbers"),
    (npy(np.zeros((4, 5), dtype=complex)), "must hold numbers"),
    (npy(np.zeros((4, 5), dtype=bool)), "must hold numbers"),
    (npy(np.zeros(10)), "must be 2-D"),
    (npy(np.zeros((2, 3, 4, 5))), "must be 2-D"),
    (npy(np.ones((1, 10))), "1 waveform"),
    (npy(np.ones((5, 2))), "2 samples"),
    (npy(np.where(np.arange(60).reshape(6, 10) == 13, np.nan, 1.0)), "1 NaN or infinite value .waveforms 2"),
    (npy(np.full((3, 4), np.inf)), "12 NaN or infinite values"),
    (npy(np.full((3, 4), 1e30)), "MAX_ABS_SAMPLE"),
    (npy(np.zeros((3, 4, 200))), "cannot be cut into 200 channels"),
    (npy_header_only((MAX_WAVEFORMS + 1, 10)), "MAX_WAVEFORMS"),
    (npy_header_only((10, MAX_SAMPLES + 1)), "MAX_SAMPLES"),
    (npy_header_only((50_000, 1_000)), "MAX_ARRAY_VALUES"),
    (npy(WAVES)[:200], "damaged or cut short"),
    (b"\x93NUMPY\x09\x00garbage", "not read here"),
    (b"\x93NUMPY\x01\x00\x05\x00{bad}", "header is damaged"),
    (b"", "empty"),
    (b"not numpy at all", "signature"),
])
def test_bad_npy_files_are_refused(data, message, capsys):
    with pytest.raises(InputError, match=message):
        read_npy(data)
    assert "pwned" not in capsys.readouterr().out


def test_pickles_are_never_run(capsys):
    with pytest.raises(InputError):
        read_spike_file("evil.npy", pickle.dumps(Payload()))
    with pytest.raises(InputError, match="Python objects"):
        read_npz(npz(waveforms=np.array([Payload(), Payload()], dtype=object)))
    assert "pwned" not in capsys.readouterr().out


@pytest.mark.parametrize("arrays, message", [
    ({"spikes": WAVES}, "no array named 'waveforms' .it holds spikes"),
    ({"waveforms": WAVES, "spike_times": np.arange(5.0)}, "5 entries for 6 waveforms"),
    ({"waveforms": WAVES, "labels": np.arange(7)}, "7 entries for 6 waveforms"),
    ({"waveforms": WAVES, "spike_times": np.arange(6)}, "look like sample indices"),
    ({"waveforms": WAVES, "spike_times": np.r_[np.nan, np.arange(5.0)]}, "NaN or infinite value .waveforms 1"),
    ({"waveforms": WAVES, "spike_times": np.r_[-1.0, np.arange(5.0)]}, "start of the recording"),
    ({"waveforms": WAVES, "spike_times": np.zeros((6, 2))}, "one entry per waveform"),
    ({"waveforms": WAVES, "sampling_rate": np.array([1.0, 2.0])}, "must be one number"),
    ({"waveforms": WAVES, "sampling_rate": -5.0}, "sampling rate"),
    ({"waveforms": WAVES, "channels": 3}, "cannot be cut into 3 channels"),
    ({"waveforms": np.zeros((4, 5, 2)), "channels": 2}, "leave one of the two out"),
    ({"waveforms": WAVES, "ids": np.zeros((6, 2))}, "one entry per waveform"),
    ({"waveforms": np.array(["a", "b"])}, "must hold numbers"),
])
def test_bad_npz_files_are_refused(arrays, message):
    with pytest.raises(InputError, match=message):
        read_npz(npz(**arrays))


def test_damaged_and_foreign_archives_are_refused():
    data = npz(waveforms=WAVES)
    with pytest.raises(InputError, match="not a readable .npz"):
        read_npz(data[:100])
    with pytest.raises(InputError, match="not a readable .npz"):
        read_spike_file("w.npz", data[:100])
    with pytest.raises(InputError, match="renamed"):
        read_spike_file("w.npy", b"uid,0,1,2\na,1,2,3\n")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(InputError, match="Excel"):  # a ZIP without arrays goes to the CSV reader's sentence
        read_spike_file("book.xlsx", buffer.getvalue())


def test_size_limits_are_named(monkeypatch):
    from nnmf_core.spikes import array_reader

    monkeypatch.setattr(array_reader, "MAX_ARRAY_FILE_BYTES", 100)
    with pytest.raises(InputError, match="the limit is 100"):
        read_npy(npy(WAVES))
    assert MAX_ARRAY_VALUES == 20_000_000
    with pytest.raises(InputError, match="Expected the bytes"):
        read_npy("a string")
