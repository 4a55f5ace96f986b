"""Suggest a target field for each column: template, exact name, alias, refusal, fuzzy.

Sample values help only where the header does not decide: a column of email addresses
headed "Contact" becomes Email, but an exact or alias match is never overridden. No two
columns get the same target; the better match keeps it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from typing import Literal

from . import messages
from .fields import REFUSED, TARGET_FIELDS, field_by_key, refused_reason
from .names import compact
from .spec import ColumnRule, MappingSpec, default_rule
from .transforms import GENDER_WORDS, email_address, trim
from .types import Invalid

Reason = Literal["exact", "alias", "fuzzy", "template", "refused", "none"]
Samples = Sequence[Sequence[str | None]] | Mapping[str, Sequence[str | None]]
FUZZY_THRESHOLD = 0.8
_FUZZY_MIN_LENGTH = 3
_SAMPLE_LIMIT = 50
_RANK: dict[str, int] = {"template": 4, "exact": 3, "alias": 2, "fuzzy": 1}

_EXACT: dict[str, str] = {}
for _field in TARGET_FIELDS:
    _EXACT[compact(_field.key)] = _field.key
    _EXACT[compact(_field.label)] = _field.key
_ALIASES: dict[str, tuple[str, str]] = {
    compact(alias): (field.key, alias) for field in TARGET_FIELDS for alias in field.aliases
}
_LABELS: dict[str, str] = {field.key: field.label for field in TARGET_FIELDS}
_FUZZY_KEYS = frozenset(field.key for field in TARGET_FIELDS if field.fuzzy)
# (compact name, field key or None for a refused name): what fuzzy matching compares with.
_FUZZY_NAMES: tuple[tuple[str, str | None], ...] = (
    *((name, key) for name, key in _EXACT.items() if key in _FUZZY_KEYS),
    *((name, key) for name, (key, _) in _ALIASES.items() if key in _FUZZY_KEYS),
    *((name, None) for name in REFUSED),
)
# Headers that look like the contact id but too often mean something else: never guessed.
_CAUTION_ID = (
    "a customer number is not a Propeller contact id; choose Contact id by hand if it is one"
)
_CAUTION_NAMES = (
    "Customer ID; Customer number; Customer no; Customer nr; Client ID; Client number; "
    "Klantnummer; Klant ID; Klantnr; Kundennummer; Kunden-ID; Numéro client; ID client; User ID"
)
_CAUTION: dict[str, str] = {compact(name): _CAUTION_ID for name in _CAUTION_NAMES.split("; ")}


@dataclass(frozen=True, slots=True)
class Suggestion:
    """The suggested target for one column and why, in a sentence for people."""

    index: int
    header: str
    target: str | None
    reason: Reason
    message: str
    score: float = 0.0  # 1.0 for names that match; the similarity for fuzzy ones


def suggest_mapping(
    headers: Sequence[str],
    samples_by_column: Samples | None = None,
    *,
    remembered: Mapping[str, str | None] | None = None,
) -> list[Suggestion]:
    """One suggestion per column; `remembered` maps header -> field (None = ignore)."""
    suggestions = [
        _suggest_one(index, header, _samples(samples_by_column, index, header), remembered)
        for index, header in enumerate(headers)
    ]
    return _one_column_per_target(suggestions)


def named_target(header: str) -> str | None:
    """The field a header names exactly or by a known alias ("BSN" -> "ssn"), else None.

    No fuzzy matching and no samples: what the name says, whatever the column is mapped to.
    """
    key = compact(header)
    if key in _EXACT:
        return _EXACT[key]
    alias = _ALIASES.get(key)
    return alias[0] if alias is not None else None


def spec_from_suggestions(
    suggestions: Sequence[Suggestion],
    samples_by_column: Samples | None = None,
    *,
    constants: Mapping[str, str] | None = None,
) -> MappingSpec:
    """A first spec: each column's suggested target with its obvious transform on."""
    rules: list[ColumnRule] = [
        default_rule(s.index, s.header, s.target, _samples(samples_by_column, s.index, s.header))
        for s in suggestions
    ]
    return MappingSpec(tuple(rules), dict(constants or {}))


def _samples(samples: Samples | None, index: int, header: str) -> Sequence[str | None]:
    if samples is None:
        return ()
    if isinstance(samples, Mapping):
        return samples.get(header, ())
    return samples[index] if index < len(samples) else ()


def _suggest_one(
    index: int,
    header: str,
    samples: Sequence[str | None],
    remembered: Mapping[str, str | None] | None,
) -> Suggestion:
    remembered_one = _remembered(index, header, remembered)
    if remembered_one is not None:
        return remembered_one
    key = compact(header)
    if key in _EXACT:
        target = _EXACT[key]
        message = messages.SUGGEST_EXACT.format(label=_LABELS[target])
        return Suggestion(index, header, target, "exact", message, 1.0)
    if key in _ALIASES:
        target, alias = _ALIASES[key]
        message = messages.SUGGEST_ALIAS.format(alias=alias)
        return Suggestion(index, header, target, "alias", message, 1.0)
    if key in _CAUTION:
        message = messages.SUGGEST_CAUTION.format(why=_CAUTION[key])
        return Suggestion(index, header, None, "none", message)
    why = refused_reason(header)
    if why is not None:
        return Suggestion(index, header, None, "refused", messages.SUGGEST_REFUSED.format(why=why))
    return _by_similarity(index, header, key, samples)


def _remembered(
    index: int, header: str, remembered: Mapping[str, str | None] | None
) -> Suggestion | None:
    if not remembered:
        return None
    if header in remembered:
        target = remembered[header]
    else:
        by_key = {compact(name): value for name, value in remembered.items()}
        if compact(header) not in by_key:
            return None
        target = by_key[compact(header)]
    if target is None:
        return Suggestion(index, header, None, "template", messages.SUGGEST_TEMPLATE_IGNORED, 1.0)
    if field_by_key(target) is None:
        return None  # a stale template naming a field that no longer exists
    return Suggestion(index, header, target, "template", messages.SUGGEST_TEMPLATE, 1.0)


def _by_similarity(index: int, header: str, key: str, samples: Sequence[str | None]) -> Suggestion:
    """Fuzzy header match, with the sample values as tie-breaker or last resort."""
    scores, refused_name, refused_score = _fuzzy_scores(key)
    kind = _sample_kind(samples)
    if kind is not None and kind in scores:
        return _fuzzy(index, header, kind, scores[kind])
    best = max(scores, key=lambda target: scores[target], default=None)
    if refused_name and kind is None and refused_score >= scores.get(best or "", 0.0):
        message = messages.SUGGEST_REFUSED.format(why=REFUSED[refused_name])
        return Suggestion(index, header, None, "refused", message)
    if best is not None:
        return _fuzzy(index, header, best, scores[best])
    if kind is not None:
        what = "email addresses" if kind == "email" else "genders"
        message = messages.SUGGEST_SAMPLES.format(what=what)
        return Suggestion(index, header, kind, "fuzzy", message, FUZZY_THRESHOLD)
    return Suggestion(index, header, None, "none", messages.SUGGEST_NONE)


def _fuzzy(index: int, header: str, target: str, score: float) -> Suggestion:
    message = messages.SUGGEST_FUZZY.format(label=_LABELS[target], percent=round(score * 100))
    return Suggestion(index, header, target, "fuzzy", message, score)


def _ratio(a: str, b: str) -> float:
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < FUZZY_THRESHOLD or matcher.quick_ratio() < FUZZY_THRESHOLD:
        return 0.0
    return matcher.ratio()


def _fuzzy_scores(key: str) -> tuple[dict[str, float], str | None, float]:
    """Per target, the best similarity at or over the threshold; and the closest refused name."""
    scores: dict[str, float] = {}
    refused_name, refused_score = None, 0.0
    if len(key) < _FUZZY_MIN_LENGTH:
        return scores, refused_name, refused_score
    for name, target in _FUZZY_NAMES:
        score = _ratio(key, name)
        if score < FUZZY_THRESHOLD:
            continue
        if target is None:
            if score > refused_score:
                refused_name, refused_score = name, score
        elif score > scores.get(target, 0.0):
            scores[target] = score
    return scores, refused_name, refused_score


def _sample_kind(samples: Sequence[str | None]) -> str | None:
    """ "email" or "gender" when the values leave little doubt, else None."""
    values = [text for text in (trim(v) for v in samples[:_SAMPLE_LIMIT] if v) if text]
    if not values:
        return None
    emails = sum(not isinstance(email_address(text), Invalid) for text in values)
    if emails >= 0.8 * len(values):
        return "email"
    genders = {GENDER_WORDS.get(compact(text)) for text in values}
    if len(values) >= 3 and None not in genders and len(set(values)) >= 2:
        return "gender"
    return None


def _one_column_per_target(suggestions: list[Suggestion]) -> list[Suggestion]:
    """Keep each target on its best column; the others are ignored, saying why."""
    claims: dict[str, list[Suggestion]] = defaultdict(list)
    for suggestion in suggestions:
        if suggestion.target is not None:
            claims[suggestion.target].append(suggestion)
    result = list(suggestions)
    for target, claimants in claims.items():
        if len(claimants) < 2:
            continue
        best = max(claimants, key=lambda s: (_RANK[s.reason], s.score, -s.index))
        label = _LABELS[target]
        for loser in claimants:
            if loser is not best:
                result[loser.index] = _demoted(loser, label, best.header)
    return result


def _demoted(loser: Suggestion, label: str, winner_header: str) -> Suggestion:
    why = REFUSED.get(compact(loser.header)) or refused_reason(loser.header)
    if why is not None:
        message = messages.SUGGEST_REFUSED.format(why=why)
        return replace(loser, target=None, reason="refused", message=message, score=0.0)
    message = messages.SUGGEST_TAKEN.format(label=label, header=winner_header)
    return replace(loser, target=None, reason="none", message=message, score=0.0)
