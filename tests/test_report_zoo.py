"""The zoo table, the family sections and the cell index (issue 12).

The table's numbers are checked against independent computations: the gradient-norm median
by a plain loop of ``numeric.step`` with central-difference Jacobians multiplied out, the
leading Lyapunov exponent by a power iteration on the same Jacobians, the tightness against
its definition (<= 1). Small sizes and horizons keep the file fast.
"""

import re
import unicodedata

import numpy as np
import pytest

import derivations as dv
import numeric
from derivations.cells import FAMILIES
from numeric.horizon import random_unit_state
from reports._fig_data import zero_state
from reports._i18n import FAMILIES_VI
from reports._sec_cells import cell_label
from reports._sec_zoo import (
    cell_labels,
    family_label,
    group_cells,
    index_section,
    num_text,
    zoo_section,
)
from reports._zoo_data import Num, Why, ZooConfig, inputs, zoo_row
from reports.document import build_document, quick_cells
from reports.model import Document, Ref, Section, Table, Tr
from reports.render_latex import render_latex
from reports.render_typst import render_typst
from tests._user_cells import user_mgu

CFG = ZooConfig(H=4, I=3, T=25, B=3, lyap_batch=2, bound_batch=8, seed=3)


def _flat(state) -> np.ndarray:
    return np.concatenate(state, axis=1) if isinstance(state, tuple) else state


def _split(params, flat):
    H, S = params.hidden_size, len(params.cell.states)
    parts = tuple(flat[:, k * H:(k + 1) * H] for k in range(S))
    return parts if S > 1 else parts[0]


def _fd_jacobians(params, xs, state0, eps=1e-6):
    """Per step t, the (B, D, D) full state Jacobian by central differences of
    ``numeric.step`` along the trajectory from ``state0`` (a plain loop)."""
    s = _flat(state0)
    B, D = s.shape
    out = []
    for x in xs:
        J = np.empty((B, D, D))
        for j in range(D):
            e = np.zeros(D)
            e[j] = eps
            up = _flat(numeric.step(params, x, _split(params, s + e)))
            dn = _flat(numeric.step(params, x, _split(params, s - e)))
            J[:, :, j] = (up - dn) / (2 * eps)
        out.append(J)
        s = _flat(numeric.step(params, x, _split(params, s)))
    return out


def _params(cell, scheme="pytorch"):
    return numeric.init(cell, CFG.H, CFG.I, scheme=scheme, seed=CFG.seed,
                        t_max=CFG.T if scheme == "chrono" else None)


@pytest.mark.parametrize("name,conv,scheme", [("gru", "pytorch", "pytorch"),
                                              ("lstm", None, "chrono")])
def test_gradient_median_matches_a_loop_of_steps_and_finite_differences(name, conv, scheme):
    cell = dv.cell(name, conv)
    row = zoo_row(cell, CFG)
    got = row.grad_default if scheme == "pytorch" else row.grad_carrying
    p = _params(cell, scheme)
    xs = inputs(p, CFG, CFG.B)
    Js = _fd_jacobians(p, xs, zero_state(p, CFG.B))
    v = np.concatenate(random_unit_state(p, CFG.B, CFG.seed), axis=1)     # (B, D)
    g = v
    for J in Js[::-1]:                                  # v^T J_{T-1} ... J_0
        g = np.einsum("bi,bij->bj", g, J)
    ref = np.median(np.log10(np.linalg.norm(g, axis=1)))
    assert got.ok and got.value == pytest.approx(ref, abs=1e-5)


@pytest.mark.parametrize("name,conv", [("elman", None), ("lstm", None)])
def test_lyapunov_median_matches_a_direct_power_iteration(name, conv):
    cell = dv.cell(name, conv)
    lam = zoo_row(cell, CFG).lyapunov
    p = _params(cell)
    B = CFG.lyap_batch
    Js = _fd_jacobians(p, inputs(p, CFG, B), zero_state(p, B))
    D = Js[0].shape[1]
    q = np.random.default_rng(CFG.seed).normal(size=(B, D))  # the engine's first frame
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    acc = np.zeros(B)
    for J in Js:                                        # QR with k = 1: renormalise
        w = np.einsum("bij,bj->bi", J, q)
        n = np.linalg.norm(w, axis=1)
        acc += np.log(n)
        q = w / n[:, None]
    assert lam.ok and lam.value == pytest.approx(np.median(acc / CFG.T), abs=1e-6)


@pytest.mark.parametrize("name,conv", [("gru", "seed"), ("lstm", None), ("slstm", "exp"),
                                       ("mingru", "paper")])
def test_tightness_is_the_median_ratio_and_at_most_one(name, conv):
    cell = dv.cell(name, conv)
    row = zoo_row(cell, CFG)
    assert 0 < row.tightness.value <= 1 + 1e-9
    if row.has_global:
        assert 0 < row.global_tightness.value <= row.tightness.value + 1e-9
    else:  # the sLSTM: exp' is unbounded; the ratio is not taken
        assert row.global_tightness.why is Why.NO_GLOBAL and row.no_global
        assert num_text(row.global_tightness) == "—"
    # the same ratio from the spectral norm of the complex-step Jacobian of numeric.step
    # (independent of the engine's J) and the state-dependent bound
    from reports._sec_numeric import draw_state

    p = _params(cell)
    x, state = draw_state(p, CFG.bound_batch, np.random.default_rng(CFG.seed + 1))
    norm = np.linalg.norm(numeric.step_jacobian(p, x, state), 2, axis=(1, 2))
    bc = numeric.check_bounds(p, x, state, which="full")
    assert row.tightness.value == pytest.approx(np.median(norm / bc.upper), rel=1e-9)


def test_rows_read_the_derivation():
    lstm = zoo_row(dv.cell("lstm"), CFG)
    assert lstm.state_dim == "2H"
    assert [(s.name, k) for s, k in lstm.carries] == [("c", dv.derive("lstm").jacobian
                                                        .block("c", "c").carry)]
    elman = zoo_row(dv.cell("elman"), CFG)
    assert elman.carries == () and elman.grad_carrying.why is Why.NO_CARRYING
    assert num_text(elman.grad_carrying).en == "n/a"
    seed = zoo_row(dv.cell("gru", "seed"), CFG)
    assert str(seed.carries[0][1]) == "1 - z" and seed.cell.carrying.towards == 0
    slstm = zoo_row(dv.cell("slstm", "exp"), CFG)
    assert slstm.state_dim == "3H" and not slstm.has_global
    assert {a for _, b in slstm.no_global for a in b.activations} == {"exp"}


def test_a_number_the_engine_refuses_is_shown_with_its_reason(monkeypatch):
    def refuse(*args, **kwargs):
        raise numeric.NumericError("frames do not fit (test)")

    def refuse_bounds(*args, **kwargs):
        raise numeric.NumericError("cannot evaluate the norm (test)")

    monkeypatch.setattr(numeric, "lyapunov", refuse)
    monkeypatch.setattr(numeric, "check_bounds", refuse_bounds)
    cell = dv.cell("gru", "cho")
    row = zoo_row(cell, CFG)
    assert row.lyapunov.why is Why.REFUSED and "frames do not fit" in row.lyapunov.detail
    assert row.tightness.why is row.global_tightness.why is Why.REFUSED
    assert row.grad_default.ok                         # the others are still computed
    sec = zoo_section(group_cells([cell]), {cell: row}, CFG)
    tex = render_latex(Document(Tr("T", "T"), "a", (sec,)), "en")
    assert tex.count("—*") == 1 + 3 + 1    # the legend, three numbers, the notes heading
    assert tex.count("frames do not fit (test)") == 1
    assert tex.count("cannot evaluate the norm (test)") == 1  # one failure, noted once


def test_non_finite_and_exact_zero_medians_say_so():
    from reports._zoo_data import _median

    assert _median([-np.inf, -np.inf, 1.0], "g").why is Why.EXACT_ZERO
    over = _median([np.inf, np.nan, np.inf, 0.0], "g")
    assert over.why is Why.NOT_FINITE and "4 samples" in over.detail
    assert _median([1.0, 2.0, 3.0], "g") == Num(2.0)
    assert num_text(Num(-np.inf, Why.EXACT_ZERO)).latex == r"-\infty"


def test_every_family_has_a_vietnamese_title():
    assert {slug for slug, _, _ in FAMILIES} <= set(FAMILIES_VI)


def test_quick_cells_take_one_cell_per_family_and_the_classic_ones():
    cells = quick_cells()
    groups = group_cells(cells)
    assert [s for s, _, _ in groups] == [s for s, _, names in FAMILIES if names]
    classic = next(cs for s, _, cs in groups if s == "classic")
    assert [c.name for c in classic] == ["elman", "gru", "lstm"]
    assert all(len(cs) == 1 for s, _, cs in groups if s != "classic")


def test_index_lists_every_cell_once_alphabetically_with_unique_labels():
    cells = dv.all_cells() + [user_mgu()]
    groups = group_cells(cells)
    assert groups[-1][0] == "other" and groups[-1][2][0].name == "user_mgu"
    labels = cell_labels(cells)
    assert len(set(labels.values())) == len(cells)
    sec = index_section(groups, labels)
    table = next(b for b in sec.blocks if isinstance(b, Table))
    titles = [r[0] for r in table.rows]
    assert sorted(titles) == sorted(c.title for c in cells)
    assert titles == sorted(titles, key=str.lower)
    refs = {r[1].label for r in table.rows}
    assert refs == set(labels.values()) and all(r[2].page for r in table.rows)
    # two cells with the same name get distinct labels
    twins = [user_mgu(), user_mgu()]
    assert len(set(cell_labels(twins).values())) == 2


@pytest.fixture(scope="module")
def doc():
    return build_document(["elman", "lstm", "mingru:paper", user_mgu()], quick=True)


def _sections(doc):
    def walk(s, depth):
        yield s, depth
        for b in s.blocks:
            if isinstance(b, Section):
                yield from walk(b, depth + 1)
    for s in doc.sections:
        yield from walk(s, 0)


def test_cells_sit_in_their_family_sections_and_the_index_points_at_them(doc):
    top = {s.label: s for s in doc.sections}
    assert {"sec:zoo", "sec:index", family_label("classic"), family_label("recent"),
            family_label("other")} <= set(top)
    order = [s.label for s in doc.sections]
    assert order.index("sec:zoo") < order.index("sec:fam-classic") < order.index("sec:index")
    kids = {b.label for b in top["sec:fam-classic"].blocks if isinstance(b, Section)}
    assert kids == {cell_label(dv.cell("elman")), cell_label(dv.cell("elman", "relu")),
                    cell_label(dv.cell("lstm"))}
    labels = {s.label for s, _ in _sections(doc) if s.label}
    index = next(b for b in top["sec:index"].blocks if isinstance(b, Table))
    assert len(index.rows) == len(doc.meta["cells"]) == 5
    assert {r[1].label for r in index.rows} <= labels     # every link has its target
    zoo_tables = [b for b in top["sec:zoo"].blocks if isinstance(b, Table)]
    assert [len(t.rows) for t in zoo_tables] == [3, 1, 1]  # classic, recent, other
    refs = {p.label for t in zoo_tables for r in t.rows for p in r[0] if isinstance(p, Ref)}
    assert refs <= labels


def test_latex_has_family_sections_a_linked_contents_and_the_index(doc):
    en, vi = render_latex(doc, "en"), render_latex(doc, "vi")
    assert r"\usepackage[hidelinks" in en and r"\tableofcontents" in en
    assert r"\setcounter{tocdepth}{2}" in en
    assert r"\section{The classic cells}\label{sec:fam-classic}" in en
    assert r"\section{Các ô kinh điển}\label{sec:fam-classic}" in vi
    assert r"\subsection{lstm}\label{sec:cell-lstm}" in en
    assert r"\section{The cell zoo at a glance}\label{sec:zoo}" in en
    assert r"\section{Cell index}\label{sec:index}" in en
    assert r"\ref{sec:cell-mingru-paper}" in en and r"\pageref{sec:cell-mingru-paper}" in en
    assert r"\subsection{user\_mgu}\label{sec:cell-user_mgu}" in en


def test_typst_outline_and_references_compile_to_section_numbers(doc, tmp_path):
    typst = pytest.importorskip("typst")
    pypdf = pytest.importorskip("pypdf")
    src = render_typst(doc, "vi")
    assert "#outline(" in src and "depth: 2" in src
    assert "= Các ô kinh điển <sec:fam-classic>" in src
    assert "#ref(<sec:cell-lstm>, supplement: none);" in src
    # the zoo, family and index sections alone (no figures), compiled: every link resolves
    keep = [s for s in doc.sections if s.label in ("sec:zoo", "sec:index")
            or s.label.startswith("sec:fam-")]
    small = Document(doc.title, doc.author, tuple(keep), meta=doc.meta)
    path = tmp_path / "z.typ"
    path.write_text(render_typst(small, "en"), encoding="utf-8")
    typst.compile(str(path), output=str(tmp_path / "z.pdf"))
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(tmp_path / "z.pdf").pages)
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text))
    # sections: 1 zoo, 2 classic (2.1 elman, ...), 3 recent, 4 other, 5 index
    assert "lstm (2.3)" in text and "mingru (paper) (3.1)" in text
    assert "user_mgu (4.1)" in text


def test_summary_tells_kept_exploded_and_vanished_gradients_apart():
    from types import SimpleNamespace as Ns

    from reports._sec_zoo import _fates

    rows = [Ns(cell=Ns(title=t), g=n) for t, n in (
        ("kept", Num(-0.7)), ("exploded", Num(78.8)), ("vanished", Num(-205.0)),
        ("zero", Num(-np.inf, Why.EXACT_ZERO)), ("refused", Num.missing(Why.REFUSED, "x")))]
    known, kept, big = _fates(rows, "g")
    assert [r.cell.title for r in known] == ["kept", "exploded", "vanished", "zero"]
    assert kept == ["kept"] and big == ["exploded"]
