r"""The seed audit: each claim of the seed notes checked against the derived math.

Every verdict is *computed*: the seed convention's update is substituted at the gate's
limit, the derived Jacobian's carry and terms are read off, the seed's LSTM list is built
with the cell language, and numbers come from explicit evaluations of the closed forms.
For example the notes write :math:`h_t = (1 - z_t) \odot h_{t-1} + z_t \odot \tilde h_t` and
then say :math:`z_t \to 1` passes the old state unchanged; substituting :math:`z_t = 1`
gives :math:`h_t = \tilde h_t` under that equation and :math:`h_t = h_{t-1}` only under the
PyTorch/Cho convention.

>>> claims = audit()
>>> [(c.id, c.verdict) for c in claims][:2]
[('gru-update-near-1', 'true only under convention pytorch, cho'), ('gru-update-near-0', 'true only under convention pytorch, cho')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import sympy as sp

from ._audit_eval import evaluate_block, sigma_min, spectral_norm
from ._errors import DerivationError
from .cells import CELLS, cell
from .derivation import derive
from .functions import sigmoid, tanh
from .language import CellBuilder, MatVec
from .lemmas import tanh_derivative_lemma
from .printing import printer_for

__all__ = ["Claim", "audit", "VERDICTS"]

VERDICTS = ("true", "false", "incomplete")  # or 'true only under convention X'


@dataclass(frozen=True)
class Claim:
    """One claim of the seed notes, its computed verdict and the evidence."""

    id: str
    quote_vi: str
    claim_en: str  # the claim in English: prose with inline $...$ math
    verdict: str
    evidence: str  # LaTeX
    explanation_en: str
    explanation_vi: str
    data: dict = field(default_factory=dict, compare=False, repr=False)


def _only_under(truth: dict, own: str = "seed") -> str:
    if truth[own]:
        return "true"
    good = [c for c, ok in truth.items() if ok]
    return "true only under convention " + ", ".join(good) if good else "false"


def _update_at(conv, value):
    """The GRU update with the update gate fixed at ``value``."""
    c = cell("gru", conv)
    return c, c.definitions[c.next_states[c.symbol("h")]].subs(c.symbol("z"), value)


def _keeps_old_state(conv, value) -> bool:
    c, e = _update_at(conv, value)
    return sp.simplify(e - c.symbol("h")) == 0


def _gap(conv, shift):
    J, v = evaluate_block(cell("gru", conv), ("h", "h"), shifts={"b_iz": shift}, gates=("z",))
    return spectral_norm(J - np.eye(len(J))), v["z"]


def _claim_update(value: int) -> Claim:
    convs = CELLS["gru"]
    # 'z near 1 passes the old information' (value 1); 'z near 0: the new state matters' (0)
    truth = {c: _keeps_old_state(c, 1) if value == 1 else not _keeps_old_state(c, 0)
             for c in convs}
    seed, e_seed = _update_at("seed", value)
    cho, e_cho = _update_at("cho", value)
    p, q = printer_for(seed), printer_for(cho)
    shift = 8.0 if value == 1 else -8.0
    gap_seed, z = _gap("seed", shift)
    gap_cho, _ = _gap("cho", shift)
    evidence = (r"z_{t} = %d:\ h_{t} = %s \text{ (seed, the notes' equation)},\quad h_{t} = %s "
                r"\text{ (pytorch, cho)};\ \text{at } b_{iz} = %+g:\ \max_i |z_i - %d| = %.1e,\ "
                r"\|J - I\|_2 = %.3g \text{ (seed) vs } %.1e \text{ (cho)}"
                % (value, p.doprint(e_seed), q.doprint(e_cho), shift, value,
                   np.abs(z - value).max(), gap_seed, gap_cho))
    carry = derive("gru", "seed").jacobian.main.carry
    if value == 1:
        return Claim(
            "gru-update-near-1",
            "Khi $z_t$ gần bằng 1, nó cho phép thông tin được chuyển qua mà không cần thay "
            "đổi nhiều.",
            r"When $z_{t}$ is close to 1 the old information passes through almost unchanged.",
            _only_under(truth), evidence,
            (r"Under the notes' own update $h_{t} = (1 - z_{t}) \odot h_{t-1} + z_{t} \odot \tilde{h}_{t}$, "
            r"$z_{t} = 1$ gives $h_{t} = \tilde{h}_{t}$: the old state is replaced, and the carry path "
            r"of the Jacobian is $\operatorname{diag}(%s)$, which vanishes. Carrying happens at "
            r"$z_{t} \to 0$. The sentence is true of the PyTorch/Cho convention "
            r"$h_{t} = (1 - z_{t}) \odot n_{t} + z_{t} \odot h_{t-1}$." % p.doprint(carry)),
            (r"Với chính phương trình của ghi chú, $h_{t} = (1 - z_{t}) \odot h_{t-1} + z_{t} \odot "
            r"\tilde{h}_{t}$, khi $z_{t} = 1$ thì $h_{t} = \tilde{h}_{t}$: trạng thái cũ bị thay thế, "
            r"và nhánh mang (carry) của Jacobian là $\operatorname{diag}(%s)$, bằng 0. Trạng thái cũ "
            r"được giữ khi $z_{t} \to 0$. Câu này chỉ đúng với quy ước PyTorch/Cho "
            r"$h_{t} = (1 - z_{t}) \odot n_{t} + z_{t} \odot h_{t-1}$." % p.doprint(carry)),
            {"truth": truth, "gap_seed": gap_seed, "gap_cho": gap_cho})
    return Claim(
        "gru-update-near-0",
        "Khi $z_t$ gần bằng 0, thì trạng thái mới $\\tilde{h}_t$ quan trọng hơn nhiều.",
        r"When $z_{t}$ is close to 0 the new state $\tilde{h}_{t}$ matters much more.",
        _only_under(truth), evidence,
        (r"Under the notes' equation $z_{t} = 0$ gives $h_{t} = h_{t-1}$: the new state "
        r"$\tilde{h}_{t}$ is ignored entirely. The sentence describes the PyTorch/Cho "
        r"convention, where $z_{t} = 0$ gives $h_{t} = n_{t}$."),
        (r"Với phương trình của ghi chú, $z_{t} = 0$ cho $h_{t} = h_{t-1}$: trạng thái mới "
        r"$\tilde{h}_{t}$ bị bỏ qua hoàn toàn. Câu này mô tả quy ước PyTorch/Cho, nơi "
        r"$z_{t} = 0$ cho $h_{t} = n_{t}$."),
        {"truth": truth, "gap_seed": gap_seed, "gap_cho": gap_cho})


def _terms_at(conv, sym, value):
    """(label, coefficient product at sym = value) of the main block's terms."""
    c = cell("gru", conv)
    s = c.symbol(sym)
    out = []
    for t in derive(c).jacobian.main.terms:
        out.append((t.label, sp.simplify(sp.Mul(*t.coeffs).subs(s, value)), t))
    return out


def _claim_gradient_z0() -> Claim:
    at0 = _terms_at("seed", "z", 0)
    carry = [v for lab, v, t in at0 if t.is_diagonal]
    gate = [v for lab, v, t in at0 if lab == "update gate"]
    others = [v for lab, v, t in at0 if not t.is_diagonal]
    identity = carry == [1] and all(v == 0 for v in others)
    gate_path_zero = all(v == 0 for v in gate)
    sat = next(b for b in derive("gru", "seed").bounds.all() if b.kind == "saturation")
    J, v = evaluate_block(cell("gru", "seed"), ("h", "h"), shifts={"b_iz": -8.0}, gates=("z",))
    smin = sigma_min(J)
    verdict = "incomplete" if identity and gate_path_zero else "false"
    p = printer_for(cell("gru", "seed"))
    evidence = (r"\left.\frac{\partial h_{t}}{\partial h_{t-1}}\right|_{z_{t} = 0} = I,\quad "
                r"\text{update-gate path } \operatorname{diag}(%s) W_{hz} \to 0;\ %s;\ "
                r"\text{at } b_{iz} = -8:\ \sigma_{\min}(J) = %.4f"
                % (p.doprint(derive("gru", "seed").jacobian.main.terms[1].coeffs[0]),
                   sat.statement_latex, smin))
    return Claim(
        "gru-gradient-z-near-0",
        "Vì vậy, kể cả khi $z_t$ gần bằng 0, gradient vẫn có thể đi qua cổng $z_t$ trong quá "
        "trình lan truyền ngược.",
        r"Even when $z_{t}$ is close to 0, the gradient can still flow through the gate $z_{t}$ "
        "during backpropagation.",
        verdict, evidence,
        (r"The gradient does flow when $z_{t} \to 0$, but not 'through the gate' and not 'even "
        r"then': under the notes' equation $z_{t} \to 0$ is the carrying regime, where the "
        r"Jacobian tends to the identity ($\|J - I\|_2 \le K \max_i z_i$). It flows through the "
        r"carry path $\operatorname{diag}(1 - z_{t})$; the update-gate path "
        r"$\operatorname{diag}(z_{t} \odot (1 - z_{t}) \odot (\tilde{h}_{t} - h_{t-1})) W_{hz}$ "
        r"vanishes there."),
        (r"Gradient đúng là vẫn truyền được khi $z_{t} \to 0$, nhưng không phải 'qua cổng "
        r"$z_{t}$' và không phải 'kể cả khi': với phương trình của ghi chú, $z_{t} \to 0$ chính "
        r"là chế độ mang trạng thái, Jacobian tiến tới ma trận đơn vị "
        r"($\|J - I\|_2 \le K \max_i z_i$). Gradient đi qua nhánh mang "
        r"$\operatorname{diag}(1 - z_{t})$; nhánh cổng cập nhật "
        r"$\operatorname{diag}(z_{t} \odot (1 - z_{t}) \odot (\tilde{h}_{t} - h_{t-1})) W_{hz}$ "
        r"triệt tiêu ở đó."),
        {"identity_at_0": identity, "gate_path_zero": gate_path_zero, "sigma_min": smin})


def _claim_reset() -> Claim:
    c = cell("gru", "seed")
    h, r = c.symbol("h"), c.symbol("r")
    cand = c.definitions[c.symbol("h_tilde")].subs(r, 0).replace(
        lambda e: isinstance(e, MatVec) and e.operand == 0, lambda e: sp.S.Zero)
    candidate_ignores = not cand.has(h)
    at0 = [(lab, v) for lab, v, _ in _terms_at("seed", "r", 0) if v != 0]
    state_depends = bool(at0)
    J, _ = evaluate_block(c, ("h", "h"), shifts={"b_ir": -30.0})
    norm = spectral_norm(J)
    verdict = "incomplete" if candidate_ignores and state_depends else (
        "true" if candidate_ignores else "false")
    p = printer_for(c)
    evidence = (r"r_{t} = 0:\ \tilde{h}_{t} = %s;\quad \left.\frac{\partial h_{t}}{\partial "
                r"h_{t-1}}\right|_{r_{t} = 0} = %s \ne 0;\ \text{at } b_{ir} = -30:\ "
                r"\|J\|_2 = %.3f"
                % (p.doprint(cand), " + ".join(
                    r"\operatorname{diag}(%s)%s" % (p.doprint(v), "" if t.is_diagonal else
                                                   " " + p.doprint(t.matrices[0]))
                    for lab, v, t in _terms_at("seed", "r", 0) if v != 0), norm))
    return Claim(
        "gru-reset-near-0",
        "Nếu $r_t$ gần bằng 0, nó cho phép model hoàn toàn bỏ qua trạng thái trước, từ đó học "
        "được các short-term dependencies một cách hiệu quả.",
        r"If $r_{t}$ is close to 0 the model can completely ignore the previous state.",
        verdict, evidence,
        (r"$r_{t} = 0$ removes $h_{t-1}$ from the candidate $\tilde{h}_{t}$ only. The new state "
        r"still depends on $h_{t-1}$ through the carry $(1 - z_{t}) \odot h_{t-1}$ and the update "
        r"gate: the Jacobian at $r_{t} = 0$ keeps its carry and update-gate terms, so the model "
        r"ignores the previous state only if also $z_{t} \to 1$ (the notes' convention)."),
        (r"$r_{t} = 0$ chỉ loại $h_{t-1}$ khỏi ứng viên $\tilde{h}_{t}$. Trạng thái mới vẫn phụ "
        r"thuộc $h_{t-1}$ qua nhánh mang $(1 - z_{t}) \odot h_{t-1}$ và cổng cập nhật: Jacobian "
        r"tại $r_{t} = 0$ vẫn còn số hạng mang và số hạng cổng cập nhật, nên mô hình chỉ bỏ qua "
        r"hoàn toàn trạng thái trước khi đồng thời $z_{t} \to 1$ (theo quy ước của ghi chú)."),
        {"candidate_ignores": candidate_ignores, "state_depends": state_depends,
         "norm": norm, "terms_at_0": [lab for lab, _ in at0]})


def _claim_forget() -> Claim:
    b = derive("lstm").bounds
    cc = b.block("c", "c")
    f = cell("lstm").symbol("f")
    sat = cc.get("saturation")
    exact = cc.carry == f and all(tb.term.is_diagonal for tb in cc.terms)
    verdict = "true" if exact and sat is not None and sat.expr == 1 else "incomplete"
    J, v = evaluate_block(cell("lstm"), ("c", "c"), shifts={"b_if": 8.0}, gates=("f",))
    gap = spectral_norm(J - np.eye(len(J)))
    evidence = (r"\frac{\partial c_{t}}{\partial c_{t-1}} = \operatorname{diag}(f_{t}),\ "
                r"%s;\ \text{at } b_{if} = 8:\ \|J - I\|_2 = %.2e = \max_i (1 - f_i)"
                % (cc.get("identity gap").statement_latex, gap))
    return Claim(
        "lstm-forget-near-1",
        "Nếu $f_t$ gần bằng 1, LSTM sẽ giữ lại phần lớn cell state trước đó, cho phép ghi nhớ "
        "các long-term dependencies. Điều này hạn chế vanishing gradient bằng cách maintain "
        "thông tin suốt các time steps.",
        r"If $f_{t}$ is close to 1 the LSTM keeps most of the previous cell state, which limits "
        "vanishing gradients.",
        verdict, evidence,
        (r"True for the cell-state path: $\partial c_{t} / \partial c_{t-1} = "
        r"\operatorname{diag}(f_{t})$ exactly, so $\|\partial c_{t} / \partial c_{t-1} - I\|_2 = "
        r"\max_i (1 - f_{t})_i \to 0$ and products over many steps stay close to the identity. "
        r"It rests on the cell update $c_{t} = f_{t} \odot c_{t-1} + i_{t} \odot g_{t}$ "
        r"(the notes' $\tilde{C}_t$ is $g_{t}$), which the notes omit."),
        (r"Đúng với nhánh cell state: $\partial c_{t} / \partial c_{t-1} = "
        r"\operatorname{diag}(f_{t})$ chính xác, nên $\|\partial c_{t} / \partial c_{t-1} - I\|_2 = "
        r"\max_i (1 - f_{t})_i \to 0$ và tích qua nhiều bước vẫn gần ma trận đơn vị. Điều này "
        r"dựa trên phương trình cập nhật $c_{t} = f_{t} \odot c_{t-1} + i_{t} \odot g_{t}$ "
        r"($\tilde{C}_t$ của ghi chú là $g_{t}$) mà ghi chú bỏ sót."),
        {"carry_is_f": exact, "gap": gap, "f": v["f"]})


def seed_lstm_as_written():
    """The notes' LSTM list, items 1-5, in the cell language (raises: C_t is never updated)."""
    cb = CellBuilder("seed_lstm", reference="the seed notes, Problem 2")
    x, h, c = cb.input("x"), cb.state("h"), cb.state("c", latex="C_{t}")
    W_i, W_f, W_C, W_o, U_i, U_f, U_C, U_o = cb.weights("W_i W_f W_C W_o U_i U_f U_C U_o")
    cb.let("i", sigmoid(W_i @ h + U_i @ x), role="input gate")
    cb.let("f", sigmoid(W_f @ h + U_f @ x), role="forget gate")
    cb.let("C_tilde", tanh(W_C @ h + U_C @ x), role="cell candidate")
    o = cb.let("o", sigmoid(W_o @ h + U_o @ x), role="output gate")
    cb.update(h, o * tanh(c))
    return cb.build()


def _claim_missing_update() -> Claim:
    try:
        seed_lstm_as_written()
        error = None
    except DerivationError as exc:
        error = str(exc)
    full = derive("lstm").jacobian.block("c", "c").carry
    verdict = "incomplete" if error and "never updated" in error else "true"
    return Claim(
        "lstm-missing-cell-update",
        "3. Cell State Update: $\\tilde{C}_t = \\tanh(W_C \\cdot [h_{t-1}, x_t])$ ... "
        "5. Hidden State Update: $h_t = o_t \\odot \\tanh(C_t)$",
        r"The LSTM equations (input, forget, candidate, output gates and "
        r"$h_{t} = o_{t} \odot \tanh(C_{t})$) "
        "define the LSTM.",
        verdict,
        r"C_{t} = f_{t} \odot C_{t-1} + i_{t} \odot \tilde{C}_{t} \text{ is missing};\ "
        r"\text{with it } \frac{\partial C_{t}}{\partial C_{t-1}} = \operatorname{diag}(%s)"
        % printer_for(cell("lstm")).doprint(full),
        (r"The list never writes the cell update $C_{t} = f_{t} \odot C_{t-1} + i_{t} \odot "
        r"\tilde{C}_{t}$, so $C_{t}$ is used but never defined and $f_{t}$ acts on nothing; "
        r"building the listed equations with the cell language fails (state $c$ is never "
        r"updated). That equation is exactly what gives $\partial C_{t} / \partial C_{t-1} = "
        r"\operatorname{diag}(f_{t})$, the forget-gate argument of the next paragraph."),
        (r"Danh sách không viết phương trình cập nhật $C_{t} = f_{t} \odot C_{t-1} + i_{t} \odot "
        r"\tilde{C}_{t}$, nên $C_{t}$ được dùng mà không được định nghĩa và $f_{t}$ không tác động "
        r"lên đâu cả; dựng các phương trình đã liệt kê bằng ngôn ngữ ô (cell language) báo lỗi "
        r"(trạng thái $c$ không bao giờ được cập nhật). Chính phương trình đó cho "
        r"$\partial C_{t} / \partial C_{t-1} = \operatorname{diag}(f_{t})$, lập luận về cổng quên "
        r"ở đoạn sau."),
        {"error": error})


def _claim_tanh() -> Claim:
    u = sp.Symbol("u", real=True)
    lem = tanh_derivative_lemma()
    range_ok = lem.verify()
    limit = sp.limit(1 - sp.tanh(u) ** 2, u, sp.oo)
    at3 = float((1 - sp.tanh(3) ** 2).evalf())
    J, _ = evaluate_block(cell("elman"), ("h", "h"), shifts={"b_hh": 3.0})
    van = derive("elman").bounds
    pmb = next(b for b in van.all() if b.kind == "vanishing")
    verdict = "false" if range_ok and limit == 0 else "true"
    return Claim(
        "tanh-range-gradient",
        "Hàm activation $\\tanh$ đảm bảo rằng các giá trị sẽ được scaled để nằm trong khoảng "
        "-1 và 1, từ đó việc lan truyền gradient sẽ trở lên dễ dàng hơn trong quá trình "
        "*backpropagation*.",
        r"$\tanh$ keeps values in $(-1, 1)$, which makes gradient propagation easier.",
        verdict,
        r"%s,\ \lim_{u \to \infty} (1 - \tanh^2 u) = %s,\ 1 - \tanh^2 3 = %.4f;\ %s;\ "
        r"\text{Elman at } b_{hh} = 3:\ \|J\|_2 = %.3f"
        % (lem.statement_latex, sp.latex(limit), at3, pmb.statement_latex, spectral_norm(J)),
        (r"The range $(-1, 1)$ is right, but it does not make gradients propagate more easily: "
        r"$\tanh' = 1 - \tanh^{2} \le 1$, so every $\tanh$ factor can only shrink a gradient, and "
        r"it tends to 0 as the value approaches $\pm 1$ (saturation). That is the Elman RNN's "
        r"vanishing mechanism ($\|J\|_2 \le \|W_{hh}\|_2$). What helps in the LSTM is the "
        r"additive cell path, not the squashing."),
        (r"Khoảng giá trị $(-1, 1)$ là đúng, nhưng điều đó không làm gradient lan truyền dễ hơn: "
        r"$\tanh' = 1 - \tanh^{2} \le 1$, nên mỗi thừa số $\tanh$ chỉ có thể làm gradient nhỏ đi, "
        r"và nó tiến về 0 khi giá trị gần $\pm 1$ (bão hòa). Đó chính là cơ chế vanishing của "
        r"RNN Elman ($\|J\|_2 \le \|W_{hh}\|_2$). Điều giúp LSTM là nhánh cell state cộng dồn, "
        r"không phải phép nén giá trị."),
        {"range_ok": range_ok, "limit": limit, "at3": at3, "elman_norm": spectral_norm(J)})


def _norm_ws(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def audit(seeds_dir=None) -> list:
    """Every audited claim with its computed verdict.

    Parameters
    ----------
    seeds_dir : path, optional
        The folder of the seed notes (``*.txt``); if given, each claim's ``data['quoted']``
        records whether its Vietnamese quote (split at ``...``) occurs in the notes.
    """
    claims = [_claim_update(1), _claim_update(0), _claim_gradient_z0(), _claim_reset(),
              _claim_forget(), _claim_missing_update(), _claim_tanh()]
    if seeds_dir is not None:
        files = sorted(Path(seeds_dir).glob("*.txt"))
        if not files:
            raise DerivationError(f"no seed notes (*.txt) in {str(seeds_dir)!r}")
        text = _norm_ws(" ".join(f.read_text(encoding="utf-8") for f in files))
        for c in claims:
            parts = [_norm_ws(p) for p in c.quote_vi.split("...")]
            c.data["quoted"] = all(p in text for p in parts)
    return claims
