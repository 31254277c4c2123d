"""The examples in nnmf_core's docstrings run and give what they show."""

import doctest
import importlib
import importlib.util
import pkgutil

import pytest


def with_modules_inside(name: str) -> list[str]:
    """``name`` and, if it is a package, every module inside it, at any depth.

    doctest only checks objects defined in the module it is given, so a package
    whose ``__init__`` re-exports names has its examples in the modules inside.
    """
    names = [name]
    for location in importlib.util.find_spec(name).submodule_search_locations or []:
        for info in pkgutil.iter_modules([location]):
            if info.name != "__main__":
                names += with_modules_inside(f"{name}.{info.name}") if info.ispkg else [f"{name}.{info.name}"]
    return names


MODULES = ["nnmf_core"] + [
    module
    for name in ["nnmf_core.factorize", "nnmf_core.images", "nnmf_core.compression", "nnmf_core.spikes",
                 "nnmf_core.figures", "nnmf_core.threads", "nnmf_core.datasets"]
    for module in with_modules_inside(name)
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert failures == 0
