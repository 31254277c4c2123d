"""Reading the charts a page sends: Plotly's JSON as Streamlit carries it."""

import base64

import numpy as np


def decoded(array) -> np.ndarray:
    """A trace array from a figure's JSON (plain list, or plotly's base64 typed array)."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"]))
    return np.asarray(array, dtype=float)
