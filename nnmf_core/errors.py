"""The one exception type that reaches a person."""


class InputError(ValueError):
    """Bad input, explained in a sentence fit for the person who supplied it.

    Everything in :mod:`nnmf_core` that rejects data or parameters raises this
    type with a message that names the problem ("V has 12 negative entries
    (smallest -0.43) ..."). Pages catch it and show the message with
    ``st.error``; any other exception is a bug.
    """


class TooLarge(InputError):
    """Input beyond what one request may use on a shared server (file size,
    waveforms, samples); the same data fits through the command line
    (``python -m nnmf_core``), on one machine or a Dask cluster."""
