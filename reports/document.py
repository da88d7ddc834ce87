"""Assemble the report's :class:`~reports.model.Document` from what the toolkit computes.

Each section is computed, not written: conventions from the derived carries, Jacobians
from :func:`derivations.derive`, proofs from :func:`derivations.proof.prove`, evidence
from :mod:`numeric`. Every section is always built (an import error of the toolkit fails
loudly); ``doc.meta["missing"]`` lists only what was not asked for (the figures when no
``figures_dir`` is given).

>>> doc = build_document(["elman"], quick=True)
>>> [s.title.en for s in doc.sections][:2], "Cells" in [s.title.en for s in doc.sections]
(['Introduction', 'Conventions'], True)
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime

import derivations as dv

from ._errors import ReportError
from ._escape import nfc
from ._sec_audit import audit_section
from ._sec_bounds import bounds_blocks, lemmas_section
from ._sec_cells import cell_section, proof_rows
from ._sec_conventions import conventions_section
from ._sec_figures import comparison_section
from ._sec_numeric import numeric_blocks
from ._sec_recent import recent_blocks
from ._sec_repro import repro_section
from .model import Document, Paragraph, Section, Tr

__all__ = ["build_document", "parse_cells", "DEFAULT_TITLE"]

DEFAULT_TITLE = Tr("Why gates keep gradients alive: derived Jacobians, proofs and evidence",
                   "Vì sao các cổng giữ cho gradient không tiêu biến: ma trận Jacobi, chứng minh "
                   "và bằng chứng số")


def parse_cells(spec) -> list:
    """``"elman,gru,lstm"`` or ``["gru:seed"]`` -> built-in cells (a bare name: every
    convention); a :class:`~derivations.Cell` in the list is kept as it is (a user's cell).

    >>> [c.title for c in parse_cells("elman,gru:seed")]
    ['elman', 'elman (relu)', 'gru (seed)']
    """
    if spec is None:
        return dv.all_cells()
    items = [s if isinstance(s, dv.Cell) else s.strip()
             for s in (spec.split(",") if isinstance(spec, str) else spec)]
    items = [s for s in items if s]
    if not items:
        raise ReportError(f"no cells given in {spec!r}; built-in cells: {sorted(dv.CELLS)}")
    out = []
    for item in items:
        if isinstance(item, dv.Cell):  # a user's cell, built already
            if item not in out:
                out.append(item)
            continue
        name, _, conv = item.partition(":")
        name = name.lower()
        if name not in dv.CELLS:
            raise ReportError(f"unknown cell {name!r} in --cells; built-in cells: {sorted(dv.CELLS)}")
        convs = [conv] if conv else list(dv.CELLS[name])
        for c in convs:
            try:
                cell = dv.cell(name, c or None)
            except dv.DerivationError as exc:
                raise ReportError(str(exc)) from None
            if cell not in out:
                out.append(cell)
    return out


def _intro() -> Section:
    return Section(Tr("Introduction", "Giới thiệu"), (Paragraph((Tr(
        "Backpropagation through time multiplies one state Jacobian per step. This report "
        "derives each cell's Jacobian in closed form with SymPy, proves it equal to the "
        "brute-force Jacobian, states the norm bounds that follow from its term structure, "
        "and checks all of it numerically. A gated cell's Jacobian contains a diagonal carry "
        "path; when the gate saturates towards carrying, the Jacobian tends to the identity "
        "and the gradient neither vanishes nor explodes.",
        "Lan truyền ngược theo thời gian nhân các ma trận Jacobi của trạng thái qua từng bước. "
        "Báo cáo này suy ra ma trận Jacobi dạng đóng của từng ô bằng SymPy, chứng minh nó bằng "
        "ma trận Jacobi tính vét cạn, nêu các cận chuẩn suy ra từ cấu trúc các số hạng, và "
        "kiểm tra tất cả bằng tính toán số. Ma trận Jacobi của một ô có cổng chứa một đường "
        "mang dạng đường chéo; khi cổng bão hòa về phía giữ lại, ma trận Jacobi tiến tới ma "
        "trận đơn vị và gradient không tiêu biến cũng không bùng nổ."),)),), label="sec:intro")


def _recent_section(figures_dir, lang, quick, seed) -> Section:
    from pathlib import Path

    from . import _fig_data as fd

    cfg = fd.QUICK if quick else fd.FULL
    blocks = recent_blocks(cfg, Path(figures_dir), lang, seed)
    return Section(Tr("Gated linear recurrences and the cells of 2015-2024",
                      "Hồi quy tuyến tính có cổng và các ô 2015-2024"), tuple(blocks),
                   label="sec:recent")


def build_document(cells=None, *, quick: bool = False, title: str | None = None,
                   author: str = "gatebound", command: str | None = None, engine: str = "",
                   progress: Callable[[str], None] | None = None,
                   figures_dir=None, seed: int = 0, lang: str = "en") -> Document:
    """Compute every section and return the document (both languages).

    Parameters
    ----------
    cells : str or list, optional
        Cells to include (see :func:`parse_cells`); default every built-in cell.
    quick : bool
        Smaller proofs (n = 1, 2) and lighter numerics, for a build under 30 s.
    figures_dir : path, optional
        Where the comparison figures (PDF) are written; ``None`` leaves that section out.
    lang : str
        Language of the figures' axis labels (the document itself holds both languages).
    """
    cells = parse_cells(cells)
    say = progress or (lambda msg: None)
    sizes = (1, 2) if quick else (1, 2, 3, 4)
    missing = []
    sections = [_intro(), conventions_section()]
    say("lemmas: re-running the SymPy proofs")
    sections.append(lemmas_section())
    samples = 64 if quick else 512
    cell_secs = []
    for k, cell in enumerate(cells, 1):
        say(f"[{k}/{len(cells)}] deriving and proving {cell.title} at n = {list(sizes)}")
        d = dv.derive(cell)
        extra = bounds_blocks(d)
        say(f"[{k}/{len(cells)}] numeric checks of {cell.title} ({samples} samples per scale)")
        extra += numeric_blocks(cell, samples=samples, hidden=32 if quick else 64, seed=seed)
        cell_secs.append(cell_section(d, proof_rows(cell, sizes), extra))
    sections.append(Section(Tr("Cells", "Các ô"), (Paragraph((Tr(
        "Each cell: its equations, the derived Jacobian with its paths, and the exact proofs.",
        "Mỗi ô: các phương trình, ma trận Jacobi suy ra cùng các đường của nó, và các chứng "
        "minh chính xác."),)), *cell_secs), label="sec:cells"))
    if figures_dir is not None:
        sections.append(comparison_section(figures_dir, lang=lang, quick=quick, seed=seed,
                                           progress=say))
        say("figures: the recent cells")
        sections.append(_recent_section(figures_dir, lang, quick, seed))
    else:
        missing.append("figures")
    say("seed audit: computing each claim's verdict")
    sections.append(audit_section())
    cmd = command or " ".join(["gatebound", *sys.argv[1:]])
    seeds = {"numeric checks (numeric.init, states)": seed}
    if figures_dir is not None:
        seeds["figures (numeric.init, inputs x_t, cotangents v)"] = seed
    sections.append(repro_section(cmd, seeds, engine or "—"))
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    doc_title = DEFAULT_TITLE if title is None else Tr(nfc(title), nfc(title))
    return Document(doc_title, author, tuple(sections), meta={"date": date, "missing": missing,
                                                               "command": cmd, "seeds": seeds,
                                                               "cells": [c.title for c in cells]})
