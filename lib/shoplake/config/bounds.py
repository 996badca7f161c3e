"""Rules a configuration field's value must pass, declared on the field, and the one validator that checks them.

A section is a frozen dataclass deriving from :class:`Section`; each field states its default and
its rules once, e.g. ``k: int = setting(10, at_least(1))`` or
``split: str = setting("chrono", choice(ALS_SPLITS))``. :meth:`Section.validate` walks the fields,
applies their rules and adds the section's :meth:`Section.cross_checks` (the rules that relate two
fields). Every problem reads ``<section>.<key>: <what is wrong>``.
"""
from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

RULES = "shoplake.rules"  # the field metadata key holding a field's rules

Problem = tuple[str, str]  # (what follows the field's key, e.g. ".query" for one entry of a mapping; what is wrong)


@dataclass(frozen=True)
class Span:
    """A numeric interval; an end of ``None`` is unbounded, an open end is excluded."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def holds(self, value: Any) -> bool:
        """Whether ``value`` lies in the interval (NaN never does); a value that is no number raises ``TypeError``."""
        if self.low is not None and (not self.low < value if self.low_open else value < self.low):
            return False
        if self.high is not None and (not value < self.high if self.high_open else value > self.high):
            return False
        return value == value  # NaN is the one number unequal to itself


@dataclass(frozen=True)
class Rule:
    """One rule of a field: ``find(value)`` lists its problems; ``key`` names the field in the message instead
    of ``<section>.<field>`` (several fields sharing one message); ``span`` is the interval of a numeric bound
    (of every item, for a rule made by :func:`each`)."""

    find: Callable[[Any], Iterable[Problem]]
    key: str = ""
    span: Span | None = None


def setting(default: Any, *rules: Rule) -> Any:
    """A section field: its ``default`` (a mapping or list is copied for each instance) and the ``rules`` it passes."""
    metadata = {RULES: rules}
    if isinstance(default, (dict, list)):
        return dataclasses.field(default_factory=lambda: copy.deepcopy(default), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def check(problem: Callable[[Any], str | None], *, key: str = "") -> Rule:
    """A rule from a function that says what is wrong with a value, or returns ``None`` when nothing is."""
    def find(value: Any) -> list[Problem]:
        text = problem(value)
        return [("", text)] if text else []

    return Rule(find, key)


def within(span: Span, text: str, *, key: str = "") -> Rule:
    """The value lies in ``span``; ``text`` says so when it does not."""
    return Rule(lambda value: [] if span.holds(value) else [("", text)], key, span)


def at_least(low: float, *, note: str = "", key: str = "") -> Rule:
    """``value >= low``."""
    return within(Span(low=low), _noted(f"must be >= {low}", note), key=key)


def above(low: float) -> Rule:
    """``value > low``."""
    return within(Span(low=low, low_open=True), f"must be > {low}")


def at_most(high: float, text: str = "") -> Rule:
    """``value <= high``."""
    return within(Span(high=high), text or f"must be <= {high}")


def between(low: float, high: float, ends: str = "[]", *, text: str = "", note: str = "") -> Rule:
    """``low <= value <= high``; ``ends`` is ``[]``, ``(]``, ``[)`` or ``()`` (a parenthesis excludes its end).
    ``text`` replaces the message ``must be in [low, high]``."""
    span = Span(low, high, low_open=ends[0] == "(", high_open=ends[1] == ")")
    return within(span, _noted(text or f"must be in {ends[0]}{low}, {high}{ends[1]}", note))


def choice(options: Sequence[str]) -> Rule:
    """The value is one of ``options``."""
    return check(lambda value: None if value in options else f"{value!r} is not one of {', '.join(options)}")


def non_empty(text: str = "must not be empty", *, key: str = "") -> Rule:
    """The value is not empty (nor ``0``/``False``); ``text`` says so when it is."""
    return check(lambda value: None if value else text, key=key)


def each(rule: Rule) -> Rule:
    """Every item of a list passes ``rule``; each distinct problem is reported once."""
    return Rule(lambda values: list(dict.fromkeys(p for value in values for p in rule.find(value))), rule.key,
                rule.span)


def each_value(rule: Rule) -> Rule:
    """Every value of a mapping passes ``rule``; a problem names its entry (``<field>.<name>``)."""
    return Rule(lambda mapping: [(f".{name}{suffix}", text) for name, value in mapping.items()
                                 for suffix, text in rule.find(value)])


def each_key(rule: Rule) -> Rule:
    """Every key of a mapping passes ``rule``; a problem names its entry (``<field>.<name>``)."""
    return Rule(lambda mapping: [(f".{name}{suffix}", text) for name in mapping for suffix, text in rule.find(name)])


def known_keys(allowed: Sequence[str] | Callable[[], Sequence[str]], template: str, *, every: bool = False) -> Rule:
    """The keys of a mapping are among ``allowed`` (or what the function returns, called only for a non-empty
    mapping). ``template`` formats the problem from ``{name}`` (an unknown key) and ``{allowed}``; the first
    unknown key in sorted order is reported, or each of them with ``every``."""
    def find(mapping: Any) -> list[Problem]:
        if not mapping:
            return []
        known = allowed() if callable(allowed) else allowed
        unknown = sorted(set(mapping) - set(known))[:None if every else 1]
        return [("", template.format(name=name, allowed=", ".join(known))) for name in unknown]

    return Rule(find)


def _noted(text: str, note: str) -> str:
    return f"{text} ({note})" if note else text


class Section:
    """Base of a configuration section (``class LakeSettings(Section, name="lake")``): validates declared rules."""

    section = ""  # its key in the settings (not annotated: a class attribute, never a config key)

    def __init_subclass__(cls, *, name: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.section = name

    def validate(self) -> list[str]:
        """Every problem of these values, each as ``<section>.<key>: <what is wrong>``; empty when they are valid.

        The fields' rules in field order, then :meth:`cross_checks`; a message shared by several fields once.
        """
        found = []
        for spec in dataclasses.fields(self):
            value = getattr(self, spec.name)
            for rule in spec.metadata.get(RULES, ()):
                key = rule.key or f"{self.section}.{spec.name}"
                found += [f"{key}{suffix}: {text}" for suffix, text in rule.find(value)]
        return list(dict.fromkeys(found + self.cross_checks()))

    def cross_checks(self) -> list[str]:
        """Problems of the rules that relate two or more fields; a section with such rules overrides this."""
        return []
