"""The examples in nnmf_core's docstrings run and give what they show."""

import doctest
import importlib

import pytest

MODULES = ["nnmf_core", "nnmf_core.factorize", "nnmf_core.images", "nnmf_core.compression", "nnmf_core.spikes",
           "nnmf_core.figures", "nnmf_core.threads"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert failures == 0
