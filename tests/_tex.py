"""TeX availability for tests that compile LaTeX (shared helper, not a test module)."""

import os

import pytest

from reports import have_latex

__all__ = ["need_tex"]


def need_tex(lang: str) -> None:
    """Skip without a TeX installation for ``lang``; fail instead when
    ``GATEBOUND_REQUIRE_TEX=1`` (CI installs TeX and sets it)."""
    if have_latex(lang):
        return
    if os.environ.get("GATEBOUND_REQUIRE_TEX") == "1":
        pytest.fail("GATEBOUND_REQUIRE_TEX=1 but latexmk/pdflatex/lualatex are not on PATH")
    pytest.skip("no TeX installation (latexmk)")
