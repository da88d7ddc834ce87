"""Every ``python`` code block in README.md runs, in order, in one namespace.

A block whose first line is ``# needs torch`` runs only when PyTorch is installed, one whose
first line is ``# needs keras`` only when Keras and JAX are (optional extras); later blocks
must not depend on them.
"""

import importlib.util
import re
from pathlib import Path

import pytest

from derivations import functions

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_has_the_two_commands_first():
    text = README.read_text(encoding="utf-8")
    assert text.index("make report") < text.index("make test") < text.index("tour")


# Keras' own model.save converts its variables with np.array(variable), whose __array__
# lacks NumPy 2's copy keyword (a NumPy DeprecationWarning about Keras)
@pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")
def test_readme_code_blocks_run(capsys):
    blocks = _blocks()
    assert len(blocks) >= 4
    namespace: dict = {"__name__": "readme"}
    has_torch = importlib.util.find_spec("torch") is not None
    has_keras = all(importlib.util.find_spec(m) is not None for m in ("keras", "jax", "h5py"))
    before = set(functions.ACTIVATIONS)
    try:
        for i, block in enumerate(blocks):
            if block.startswith("# needs torch") and not has_torch:
                continue
            if block.startswith("# needs keras") and not has_keras:
                continue
            exec(compile(block, f"README.md block {i + 1}", "exec"), namespace)  # noqa: S102
    finally:  # activations the README declares do not leak into later tests
        for name in set(functions.ACTIVATIONS) - before:
            functions.unregister(name)
    assert r"\operatorname{diag}(1 - f_{t})" in capsys.readouterr().out
