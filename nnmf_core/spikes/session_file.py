"""One file that carries a curation session away and back: the fit (W, H,
its labels), the settings that made it, and the curation history, tied to
the waveforms by their SHA-256 digest.

The file is an ``.npz`` of plain arrays and JSON strings; nothing is
pickled, and :func:`read_session_file` reads it with ``allow_pickle=False``,
checking every array's header before decoding it.

>>> import numpy as np
>>> from nnmf_core.spikes.curation import CurationHistory
>>> X = np.arange(12.0).reshape(4, 3)
>>> history = CurationHistory.start([0, 0, 1, 2]).merge([1, 2])
>>> data = export_session(waveforms_digest(X), {"k": 3}, np.ones((3, 3)), np.ones((3, 4)), history)
>>> session = read_session_file(data, waveforms_digest(X))
>>> session.settings, session.history.labels.tolist()
({'k': 3}, [0, 0, 1, 1])
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from nnmf_core.errors import InputError
from nnmf_core.spikes.array_reader import MAX_ARRAY_FILE_BYTES, _header, _loaded, _member_array
from nnmf_core.spikes.csv_reader import MAX_SAMPLES, MAX_WAVEFORMS
from nnmf_core.spikes.curation import CurationHistory

#: Version of the session file written by :func:`export_session`.
SESSION_FORMAT = 1
#: Most templates (columns of W) a session may hold.
MAX_SESSION_RANK = 1_000
_TEXTS = ("waveforms_sha256", "settings_json", "history_json")
_ARRAYS = ("format", "W", "H", "fit_labels", "labels")


@dataclass(frozen=True, eq=False)
class Session:
    """A session read back by :func:`read_session_file`.

    Attributes
    ----------
    waveforms_digest : str
        SHA-256 (hex) of the waveforms, see :func:`waveforms_digest`.
    settings : dict
        What the page saved (fit settings, thresholds, …).
    W : ndarray, shape (n_rows, k)
    H : ndarray, shape (k, n_waveforms)
    history : CurationHistory
        Starting from the fit's labels; ``history.labels`` are the curated ones.
    """

    waveforms_digest: str
    settings: dict
    W: np.ndarray
    H: np.ndarray
    history: CurationHistory

    @property
    def labels(self) -> np.ndarray:
        """The curated labels, shape (n_waveforms,)."""
        return self.history.labels


def waveforms_digest(waveforms) -> str:
    """SHA-256 (hex) of waveforms as float64 in row order, with their shape:
    the same numbers give the same digest whichever file they came from.

    Parameters
    ----------
    waveforms : array_like, shape (n_waveforms, n_samples)

    Returns
    -------
    str
        64 hexadecimal digits.
    """
    X = np.ascontiguousarray(np.asarray(waveforms, dtype=np.float64))
    digest = hashlib.sha256(f"float64 {X.shape}".encode())
    digest.update(X.tobytes())
    return digest.hexdigest()


def export_session(waveforms_digest: str, settings: Mapping, W, H, history: CurationHistory) -> bytes:
    """The session as ``.npz`` bytes (compressed).

    Parameters
    ----------
    waveforms_digest : str
        From :func:`waveforms_digest` of the waveforms that were fitted.
    settings : mapping
        JSON-serialisable (numbers, text, lists, dicts).
    W : array_like, shape (n_rows, k)
    H : array_like, shape (k, n_waveforms)
    history : CurationHistory

    Returns
    -------
    bytes
        Arrays ``format``, ``waveforms_sha256``, ``settings_json``, ``W``,
        ``H``, ``fit_labels``, ``labels`` (curated), ``history_json``.
    """
    if not isinstance(history, CurationHistory):
        raise InputError(f"Expected a CurationHistory, got {type(history).__name__}.")
    try:
        settings_json = json.dumps(dict(settings), sort_keys=True)
    except (TypeError, ValueError) as error:
        raise InputError(f"The settings cannot be written as JSON ({error}).") from None
    W, H = np.asarray(W), np.asarray(H)
    if W.ndim != 2 or H.ndim != 2 or W.shape[1] != H.shape[0] or H.shape[1] != history.fit_labels.size:
        raise InputError(f"W {W.shape}, H {H.shape} and {history.fit_labels.size:,} labels do not belong together.")
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer, format=np.int64(SESSION_FORMAT), waveforms_sha256=np.str_(str(waveforms_digest)),
        settings_json=np.str_(settings_json), W=W, H=H, fit_labels=history.fit_labels,
        labels=np.asarray(history.labels), history_json=np.str_(history.to_json()),
    )
    return buffer.getvalue()


def _member_limits(key: str, shape: tuple, dtype: np.dtype) -> None:
    """Refuse an array of a session file whose header does not fit, before decoding it."""
    what = f"The session's array '{key}'"
    if key in _TEXTS:
        if dtype.kind != "U" or shape != () or dtype.itemsize > 4 * 20_000_000:
            raise InputError(f"{what} must be one piece of text.")
        return
    if dtype.kind not in ("iu" if key in ("format", "fit_labels", "labels") else "fiu"):
        raise InputError(f"{what} holds {dtype} values; it must hold numbers.")
    limits = {"format": (), "W": (2 * MAX_SAMPLES, MAX_SESSION_RANK), "H": (MAX_SESSION_RANK, MAX_WAVEFORMS),
              "fit_labels": (MAX_WAVEFORMS,), "labels": (MAX_WAVEFORMS,)}[key]
    if len(shape) != len(limits) or any(size > limit for size, limit in zip(shape, limits)):
        raise InputError(f"{what} has shape {shape}, which a session file of NMF Studio never holds.")


def read_session_file(data: bytes, waveforms_digest: str) -> Session:
    """Read a session written by :func:`export_session`, for the waveforms now loaded.

    Parameters
    ----------
    data : bytes
        The ``.npz`` file, at most :data:`~nnmf_core.spikes.array_reader.MAX_ARRAY_FILE_BYTES`.
    waveforms_digest : str
        :func:`waveforms_digest` of the waveforms loaded now; it must match
        the session's.

    Returns
    -------
    Session

    Raises
    ------
    InputError
        For a file that is not a session (damaged, other arrays, pickled
        objects), a session saved for other waveforms, or a history that
        does not fit its labels.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)) or not data:
        raise InputError("Expected the bytes of a session file (.npz).")
    data = bytes(data)
    if len(data) > MAX_ARRAY_FILE_BYTES:
        raise InputError(f"The session file has {len(data):,} bytes; the limit is {MAX_ARRAY_FILE_BYTES:,}.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise InputError("The file is not a session file: it is not an .npz (ZIP) archive.") from None
    arrays = {}
    with archive:
        names = set(archive.namelist())
        missing = [key for key in _ARRAYS + _TEXTS if f"{key}.npy" not in names]
        if missing:
            raise InputError(f"The file is not a session file of NMF Studio: it lacks {', '.join(missing[:4])}.")
        for key in _ARRAYS + _TEXTS:
            with archive.open(f"{key}.npy") as stream:
                shape, dtype = _header(stream, f"The session's array '{key}'")
            _member_limits(key, shape, dtype)
            arrays[key] = _loaded(lambda key=key: _member_array(archive, f"{key}.npy"), f"The session's array '{key}'")
    if int(arrays["format"]) != SESSION_FORMAT:
        raise InputError(f"The session file has format {int(arrays['format'])}; this version reads format {SESSION_FORMAT}.")
    saved = str(arrays["waveforms_sha256"])
    if saved.lower() != str(waveforms_digest).lower():
        raise InputError(
            f"This session was saved for other waveforms (digest {saved[:12]}…, the loaded ones have "
            f"{str(waveforms_digest)[:12]}…). Load the waveform file the session was made from, then the session."
        )
    try:
        settings = json.loads(str(arrays["settings_json"]))
    except ValueError as error:
        raise InputError(f"The session's settings are not valid JSON ({error}).") from None
    if not isinstance(settings, dict):
        raise InputError("The session's settings must be a JSON object.")
    W, H, fit_labels = arrays["W"], arrays["H"], arrays["fit_labels"]
    if W.shape[1] != H.shape[0] or H.shape[1] != fit_labels.size or arrays["labels"].size != fit_labels.size:
        raise InputError(f"The session's W {W.shape}, H {H.shape} and {fit_labels.size:,} labels do not belong together.")
    history = CurationHistory.from_json(str(arrays["history_json"]), fit_labels)
    if not np.array_equal(history.labels, arrays["labels"]):
        raise InputError("The session's curation history does not lead to its saved labels; the file was changed.")
    return Session(saved, settings, W, H, history)
