r"""The seed audit's words (private): Vietnamese of the evidence phrases, and each claim's
explanation in both languages, chosen from the facts the audit computed.

:mod:`derivations.audit` computes verdicts, facts and evidence; it writes no sentences.
Here every explanation is a :class:`~derivations.statements.Prose` of
:class:`ExplainText` members, math nodes and path labels, assembled from the claim's
facts: the sentence "the old state is replaced by the candidate" appears only when
substituting the gate's limit into the notes' update gave the candidate, "the old state
passes unchanged" when it gave the old state, and so on. Vietnamese comes from tables
keyed by member (:data:`VI`), never by English text.

>>> from derivations.audit import audit
>>> claim = audit()[0]
>>> ExplainText.OLD_REPLACED in explanation(claim).parts
True
"""

from __future__ import annotations

import sympy as sp

from derivations.audit import (
    AuditText,
    ForgetFacts,
    GradientFacts,
    MissingUpdateFacts,
    Outcome,
    ResetFacts,
    TanhFacts,
    UpdateFacts,
)
from derivations.facts import PathLabel
from derivations.statements import EYE, Diag, EntryMax, Norm, Prose, Tends, Words, relation

from ._i18n import label_tr
from ._sec_bounds import LEMMA_VI, TEXT_VI
from ._statements import Printers, prose_parts

__all__ = ["ExplainText", "AUDIT_VI", "EXPLAIN_VI", "VI", "explanation", "explanation_parts"]


class ExplainText(Words):
    """The phrases of the audit's explanations (English; Vietnamese in :data:`EXPLAIN_VI`)."""

    UNDER_NOTES = "Under the notes' own update "
    COMMA = ", "
    GIVES = " gives "
    OLD_REPLACED = ": the old state is replaced by the candidate. "
    OLD_KEPT = ": the old state passes unchanged and the candidate is ignored. "
    MIXED = ": the new state mixes the old state and the candidate. "
    CARRY_IS = "The carry path of the Jacobian is "
    VANISHES_THERE = ", which vanishes there; "
    IDENTITY_THERE = ", the identity there; "
    EQUALS_THERE = ", which there is "
    SEMICOLON = "; "
    CARRIED_AT = "the old state is carried at "
    PERIOD = ". "
    TRUE_OF = "The sentence is true of the convention "
    WHERE = ", where "
    TRUE_NOWHERE = "The sentence holds under none of the conventions."
    FLOWS = "The gradient does flow when "
    NOT_THROUGH_GATE = ", but not through the gate and not 'even then': under the notes' equation "
    IS_CARRYING = " is the carrying regime, where "
    THROUGH_CARRY = ". It flows through the carry path "
    GATE_PATH = "; the update-gate path "
    VANISHES_END = " vanishes there."
    ALSO_GATE = ", and part of it does pass through the update-gate path "
    NOT_VANISHING_AT = ", which does not vanish at "
    END = "."
    NOT_IDENTITY_AT = "At "
    NOT_IDENTITY = " the Jacobian is not the identity, so the old state is not carried there"
    REMOVES = " removes "
    KEEPS = " does not remove "
    FROM_CANDIDATE = " from the candidate "
    ONLY = " only. "
    STILL_DEPENDS = "The new state still depends on "
    THROUGH = " through the carry "
    JACOBIAN_AT = ": the Jacobian at "
    KEEPS_TERMS = " keeps its terms "
    ONLY_IF_ALSO = ", so the model ignores the previous state only if also "
    NOTES_CONVENTION = " (the notes' convention)."
    NO_DEPENDENCE = "The new state then no longer depends on "
    TRUE_FOR_CELL_PATH = "True for the cell-state path: "
    EXACTLY_SO = " exactly, so "
    TENDS_TO_ZERO = " tends to 0 and products over many steps stay close to the identity. "
    NOT_GATE_ALONE = "The cell-state path is "
    NOT_GATE_ALONE_END = ", not the forget gate alone, so "
    NEAR_ONE_NOT_ENOUGH = " near 1 does not by itself keep it close to the identity. "
    RESTS_ON = "It rests on the cell update "
    NOTES_CANDIDATE = " (the notes' "
    IS = " is "
    NOTES_OMIT = "), which the notes omit."
    NOTES_WRITE = "), which the notes write."
    NEVER_WRITES = "The list never writes the cell update "
    SO_COMMA = ", so "
    USED_UNDEFINED = " is used but never defined and "
    ACTS_ON_NOTHING = (" acts on nothing; building the listed equations with the cell "
                       "language fails (state ")
    NEVER_UPDATED = " is never updated). "
    THAT_EQUATION = "That equation is exactly what gives "
    FORGET_ARGUMENT = ", the forget-gate argument of the next paragraph."
    CARRY_OTHER = "With it the cell-state path is "
    LIST_BUILDS = "The listed equations build a cell, and its cell-state path is "
    RANGE = "The range "
    NOT_EASIER = " is right, but it does not make gradients propagate more easily: "
    SHRINK = (", so every tanh factor can only shrink a gradient, and it tends to 0 as the "
              "value approaches ±1 (saturation). That is the Elman RNN's vanishing mechanism (")
    ADDITIVE = "). What helps in the LSTM is the additive cell path, not the squashing."
    UNDECIDED = ("The derivative lemma of tanh did not verify, or its limit at infinity is "
                 "not 0: the audit cannot refute the claim.")


#: Vietnamese of the evidence phrases (derivations.audit.AuditText)
AUDIT_VI = {
    AuditText.SEED_NOTES: " (seed, phương trình của ghi chú)",
    AuditText.SEED: " (seed)",
    AuditText.PYTORCH: " (pytorch)",
    AuditText.CHO: " (cho)",
    AuditText.PYTORCH_CHO: " (pytorch, cho)",
    AuditText.AT: " tại ",
    AuditText.AS: " khi ",
    AuditText.UPDATE_GATE_PATH: "nhánh cổng cập nhật: ",
    AuditText.IS_MISSING: " bị thiếu",
    AuditText.WITH_IT: "khi có nó: ",
    AuditText.ELMAN: " (Elman)",
}

#: Vietnamese of the explanation phrases
EXPLAIN_VI = {
    ExplainText.UNDER_NOTES: "Với chính phương trình cập nhật của ghi chú ",
    ExplainText.COMMA: ", ",
    ExplainText.GIVES: " cho ",
    ExplainText.OLD_REPLACED: ": trạng thái cũ bị thay thế bởi ứng viên. ",
    ExplainText.OLD_KEPT: ": trạng thái cũ được giữ nguyên và ứng viên bị bỏ qua. ",
    ExplainText.MIXED: ": trạng thái mới pha trộn trạng thái cũ và ứng viên. ",
    ExplainText.CARRY_IS: "Nhánh mang (carry) của Jacobian là ",
    ExplainText.VANISHES_THERE: ", bằng 0 tại đó; ",
    ExplainText.IDENTITY_THERE: ", là ma trận đơn vị tại đó; ",
    ExplainText.EQUALS_THERE: ", tại đó bằng ",
    ExplainText.SEMICOLON: "; ",
    ExplainText.CARRIED_AT: "trạng thái cũ được giữ khi ",
    ExplainText.PERIOD: ". ",
    ExplainText.TRUE_OF: "Câu này đúng với quy ước ",
    ExplainText.WHERE: ", nơi ",
    ExplainText.TRUE_NOWHERE: "Câu này không đúng với quy ước nào.",
    ExplainText.FLOWS: "Gradient đúng là vẫn truyền được khi ",
    ExplainText.NOT_THROUGH_GATE: (", nhưng không phải 'qua cổng' và không phải 'kể cả khi': "
                                   "với phương trình của ghi chú, "),
    ExplainText.IS_CARRYING: " chính là chế độ mang trạng thái, nơi ",
    ExplainText.THROUGH_CARRY: ". Gradient đi qua nhánh mang ",
    ExplainText.GATE_PATH: "; nhánh cổng cập nhật ",
    ExplainText.VANISHES_END: " triệt tiêu ở đó.",
    ExplainText.ALSO_GATE: ", và một phần của nó đi qua nhánh cổng cập nhật ",
    ExplainText.NOT_VANISHING_AT: ", nhánh này không triệt tiêu tại ",
    ExplainText.END: ".",
    ExplainText.NOT_IDENTITY_AT: "Tại ",
    ExplainText.NOT_IDENTITY: (" Jacobian không phải ma trận đơn vị, nên trạng thái cũ không "
                               "được giữ ở đó"),
    ExplainText.REMOVES: " chỉ loại ",
    ExplainText.KEEPS: " không loại ",
    ExplainText.FROM_CANDIDATE: " khỏi ứng viên ",
    ExplainText.ONLY: ". ",
    ExplainText.STILL_DEPENDS: "Trạng thái mới vẫn phụ thuộc ",
    ExplainText.THROUGH: " qua nhánh mang ",
    ExplainText.JACOBIAN_AT: ": Jacobian tại ",
    ExplainText.KEEPS_TERMS: " vẫn còn các số hạng ",
    ExplainText.ONLY_IF_ALSO: ", nên mô hình chỉ bỏ qua hoàn toàn trạng thái trước khi đồng thời ",
    ExplainText.NOTES_CONVENTION: " (theo quy ước của ghi chú).",
    ExplainText.NO_DEPENDENCE: "Khi đó trạng thái mới không còn phụ thuộc ",
    ExplainText.TRUE_FOR_CELL_PATH: "Đúng với nhánh cell state: ",
    ExplainText.EXACTLY_SO: " chính xác, nên ",
    ExplainText.TENDS_TO_ZERO: " tiến về 0 và tích qua nhiều bước vẫn gần ma trận đơn vị. ",
    ExplainText.NOT_GATE_ALONE: "Nhánh cell state là ",
    ExplainText.NOT_GATE_ALONE_END: ", không chỉ riêng cổng quên, nên ",
    ExplainText.NEAR_ONE_NOT_ENOUGH: " gần 1 tự nó không giữ nhánh này gần ma trận đơn vị. ",
    ExplainText.RESTS_ON: "Điều này dựa trên phương trình cập nhật ",
    ExplainText.NOTES_CANDIDATE: " (",
    ExplainText.IS: " của ghi chú là ",
    ExplainText.NOTES_OMIT: ") mà ghi chú bỏ sót.",
    ExplainText.NOTES_WRITE: ") mà ghi chú có viết.",
    ExplainText.NEVER_WRITES: "Danh sách không viết phương trình cập nhật ",
    ExplainText.SO_COMMA: ", nên ",
    ExplainText.USED_UNDEFINED: " được dùng mà không được định nghĩa và ",
    ExplainText.ACTS_ON_NOTHING: (" không tác động lên đâu cả; dựng các phương trình đã liệt kê "
                                  "bằng ngôn ngữ ô (cell language) báo lỗi (trạng thái "),
    ExplainText.NEVER_UPDATED: " không bao giờ được cập nhật). ",
    ExplainText.THAT_EQUATION: "Chính phương trình đó cho ",
    ExplainText.FORGET_ARGUMENT: ", lập luận về cổng quên ở đoạn sau.",
    ExplainText.CARRY_OTHER: "Khi có nó, nhánh cell state là ",
    ExplainText.LIST_BUILDS: "Các phương trình đã liệt kê dựng được một ô, với nhánh cell state ",
    ExplainText.RANGE: "Khoảng giá trị ",
    ExplainText.NOT_EASIER: " là đúng, nhưng điều đó không làm gradient lan truyền dễ hơn: ",
    ExplainText.SHRINK: (", nên mỗi thừa số tanh chỉ có thể làm gradient nhỏ đi, và nó tiến về 0 "
                         "khi giá trị gần ±1 (bão hòa). Đó chính là cơ chế vanishing của RNN "
                         "Elman ("),
    ExplainText.ADDITIVE: "). Điều giúp LSTM là nhánh cell state cộng dồn, không phải phép nén "
                          "giá trị.",
    ExplainText.UNDECIDED: ("Bổ đề đạo hàm của tanh không được kiểm chứng, hoặc giới hạn của nó ở "
                            "vô cực khác 0: bản kiểm tra không bác bỏ được nhận định."),
}

#: every phrase of the audit section, by member (with the words of the derived bounds and
#: lemmas its evidence quotes)
VI = {**TEXT_VI, **LEMMA_VI, **AUDIT_VI, **EXPLAIN_VI}

E = ExplainText


def _eq(a, b):
    return relation("=", a, b)


def _update(f: UpdateFacts) -> list:
    seed = f.limit("seed")
    h_next = seed.update.lhs
    out = [E.UNDER_NOTES, seed.update, E.COMMA, _eq(f.gate, f.value), E.GIVES,
           _eq(h_next, seed.at_value),
           {Outcome.CANDIDATE: E.OLD_REPLACED, Outcome.OLD_STATE: E.OLD_KEPT,
            Outcome.MIXTURE: E.MIXED}[seed.outcome], E.CARRY_IS, Diag(f.carry)]
    if f.carry_at_value == 0:
        out.append(E.VANISHES_THERE)
    elif f.carry_at_value == 1:
        out.append(E.IDENTITY_THERE)
    else:
        out += [E.EQUALS_THERE, Diag(f.carry_at_value), E.SEMICOLON]
    out += [E.CARRIED_AT, Tends(f.gate, f.carries_at), E.PERIOD]
    if not f.holds_under:
        return out + [E.TRUE_NOWHERE]
    ref = next(lim for lim in f.limits if lim.convention in f.holds_under)
    return out + [E.TRUE_OF, ", ".join(f.holds_under), E.WHERE, _eq(f.gate, f.value), E.GIVES,
                  _eq(h_next, ref.at_value), E.END]


def _gradient(f: GradientFacts) -> list:
    path = f.gate_path
    if not f.identity_at_zero:
        out = [E.NOT_IDENTITY_AT, _eq(f.gate, 0), E.NOT_IDENTITY]
    elif f.gate_path_vanishes:
        return [E.FLOWS, Tends(f.gate, 0), E.NOT_THROUGH_GATE, Tends(f.gate, 0), E.IS_CARRYING,
                Tends(f.jacobian, EYE), E.THROUGH_CARRY, Diag(f.carry), E.GATE_PATH, path,
                E.VANISHES_END]
    else:
        out = [E.FLOWS, Tends(f.gate, 0)]
    if f.gate_path_vanishes:
        return out + [E.GATE_PATH, path, E.VANISHES_END]
    return out + [E.ALSO_GATE, path, E.NOT_VANISHING_AT, _eq(f.gate, 0), E.END]


def _reset(f: ResetFacts) -> list:
    out = [_eq(f.gate, 0), E.REMOVES if f.candidate_ignores_state else E.KEEPS, f.state,
           E.FROM_CANDIDATE, f.candidate, E.ONLY]
    if not f.kept_paths:
        return out + [E.NO_DEPENDENCE, f.state, E.END]
    out += [E.STILL_DEPENDS, f.state, E.THROUGH, f.carry_update, E.JACOBIAN_AT, _eq(f.gate, 0),
            E.KEEPS_TERMS]
    for k, label in enumerate(f.kept_paths):
        out += [E.COMMA, label] if k else [label]
    return out + [E.ONLY_IF_ALSO, Tends(f.update_gate, 1 - f.carries_at), E.NOTES_CONVENTION]


def _forget(f: ForgetFacts) -> list:
    if f.carry_is_gate:
        out = [E.TRUE_FOR_CELL_PATH, _eq(f.jacobian, Diag(f.gate)), E.EXACTLY_SO,
               _eq(Norm(f.jacobian - EYE), EntryMax(1 - f.gate)), E.TENDS_TO_ZERO]
    else:
        out = [E.NOT_GATE_ALONE, _eq(f.jacobian, Diag(f.carry)), E.NOT_GATE_ALONE_END, f.gate,
               E.NEAR_ONE_NOT_ENOUGH]
    return out + [E.RESTS_ON, f.cell_update, E.NOTES_CANDIDATE, f.notes_candidate, E.IS,
                  f.candidate, E.NOTES_WRITE if f.update_in_notes else E.NOTES_OMIT]


def _missing(f: MissingUpdateFacts) -> list:
    with_it = _eq(f.jacobian, Diag(f.carry))
    if f.builds_as_written:
        return [E.LIST_BUILDS, with_it, E.END]
    out = [E.NEVER_WRITES, f.cell_update, E.SO_COMMA, f.cell_update.lhs, E.USED_UNDEFINED,
           f.gate, E.ACTS_ON_NOTHING, f.state, E.NEVER_UPDATED]
    if f.carry == f.gate:
        return out + [E.THAT_EQUATION, with_it, E.FORGET_ARGUMENT]
    return out + [E.CARRY_OTHER, with_it, E.END]


def _tanh(f: TanhFacts) -> list:
    if not (f.range_proved and f.limit == 0):
        return [E.UNDECIDED]
    return [E.RANGE, sp.Interval.open(-1, 1), E.NOT_EASIER,
            relation("<=", f.derivative, 1), E.SHRINK,
            relation("<=", Norm(f.jacobian), Norm(f.weight)), E.ADDITIVE]


_EXPLAIN = {UpdateFacts: _update, GradientFacts: _gradient, ResetFacts: _reset,
            ForgetFacts: _forget, MissingUpdateFacts: _missing, TanhFacts: _tanh}


def explanation(claim) -> Prose:
    """The explanation of ``claim``'s verdict, chosen from its facts (a :class:`Prose` of
    :class:`ExplainText` members, math nodes and path labels)."""
    return Prose(tuple(_EXPLAIN[type(claim.facts)](claim.facts)))


def explanation_parts(claim, pr: Printers) -> tuple:
    """The explanation as paragraph parts: words and path labels in both languages
    (:class:`~reports.model.Tr`), math printed by ``pr``."""
    out = []
    for part in explanation(claim).parts:
        if isinstance(part, PathLabel):
            out.append(label_tr(part))
        else:
            out += prose_parts(Prose((part,)), pr, VI)
    return tuple(out)
