"""Fast whole-report scans: a regex tried only where one of its literal prefixes occurs.

Whole-report patterns (context lines, recommendations) are alternations of words, most starting with
``\\b``. Python's ``re`` cannot skip ahead for such a pattern: it tries every branch at every position of
the report. When every match must begin with one of a few literal strings ("cirrho", "hépatite",
"hepatite"), ``str.find`` locates the few positions worth trying, and ``Pattern.match`` at those positions
gives exactly the matches ``finditer`` would (``\\b`` at ``pos`` still sees the character before it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

MIN_PREFIX = 2
"""Shorter prefixes occur almost everywhere: they would save nothing."""
MAX_PREFIXES = 32
"""Expanding character classes and groups multiplies prefixes; past this the pattern stays unguarded."""
_LITERAL = set(" -'")
_QUANTIFIER = set("?*{")


def _top_level_branches(pattern: str) -> list[str]:
    """``pattern`` split at the ``|`` that are outside any group or character class."""
    branches, depth, current, escaped = [], 0, [], False
    for c in pattern:
        if escaped:
            current.append(c)
            escaped = False
            continue
        if c == "\\":
            escaped = True
            current.append(c)
            continue
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        if c == "|" and depth == 0:
            branches.append("".join(current))
            current = []
        else:
            current.append(c)
    branches.append("".join(current))
    return branches


def _closing(pattern: str, start: int, opening: str, closing: str) -> int:
    """Index of the bracket closing the one at ``start`` (-1 if unbalanced)."""
    depth, escaped = 0, False
    for i in range(start, len(pattern)):
        c = pattern[i]
        if escaped:
            escaped = False
        elif c == "\\":
            escaped = True
        elif c == opening:
            depth += 1
        elif c == closing:
            depth -= 1
            if depth == 0:
                return i
    return -1


def _class_letters(body: str) -> list[str] | None:
    """The letters of a plain character class body ("ée"), or None for ranges, escapes and negations."""
    if not body or body[0] == "^" or any(not (c.isalnum() or c in _LITERAL) for c in body):
        return None
    return sorted(set(body))


def _prefixes(branch: str) -> tuple[list[str], bool]:
    """The literal strings one of which starts every match of ``branch``, and whether they are the whole
    branch (True) or only its beginning (False, reading stopped at something not literal)."""
    prefixes, i = [""], 0
    while i < len(branch):
        c = branch[i]
        follows = branch[i + 1] if i + 1 < len(branch) else ""
        if c.isalnum() or c in _LITERAL:
            if follows in _QUANTIFIER:
                return prefixes, False
            prefixes = [p + c for p in prefixes]
            i += 1
            continue
        if c == "[":
            end = _closing(branch, i, "[", "]")
            letters = _class_letters(branch[i + 1:end]) if end > 0 else None
            if letters is None or branch[end + 1:end + 2] in _QUANTIFIER or len(prefixes) * len(letters) > MAX_PREFIXES:
                return prefixes, False
            prefixes = [p + letter for p in prefixes for letter in letters]
            i = end + 1
            continue
        if branch.startswith("(?:", i):
            end = _closing(branch, i, "(", ")")
            if end < 0 or branch[end + 1:end + 2] in _QUANTIFIER:
                return prefixes, False
            inner = [_prefixes(b) for b in _top_level_branches(branch[i + 3:end])]
            options = [p for found, _ in inner for p in found]
            if not options or len(prefixes) * len(options) > MAX_PREFIXES:
                return prefixes, False
            prefixes = [p + o for p in prefixes for o in options]
            if not all(complete for _, complete in inner):
                return prefixes, False
            i = end + 1
            continue
        return prefixes, False
    return prefixes, True


def literal_guard(pattern: str) -> tuple[str, ...] | None:
    """Literal prefixes, one of which starts every match (None if not derivable or too short).

    ``"\\bcirrho\\w+|\\bh[ée]patite\\s+[bc]\\b"`` gives ``("cirrho", "hepatite", "hépatite")``: when none
    occurs in the text the regex need not run at all, and otherwise it need only be tried where they occur.
    """
    guards: list[str] = []
    for branch in _top_level_branches(pattern):
        found, _ = _prefixes(branch[2:] if branch.startswith("\\b") else branch)
        if any(len(p) < MIN_PREFIX for p in found):
            return None
        guards += found
    return tuple(dict.fromkeys(guards))


@dataclass(frozen=True)
class GuardedRegex:
    """A case-sensitive regex for folded text, tried only where one of its literal prefixes occurs."""

    regex: re.Pattern[str]
    guard: tuple[str, ...] | None

    @classmethod
    def compile(cls, pattern: str) -> GuardedRegex:
        return cls(re.compile(pattern), literal_guard(pattern))

    def possible(self, text: str) -> bool:
        return self.guard is None or any(g in text for g in self.guard)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """The matches ``regex.finditer`` gives (same spans, same order, no overlaps)."""
        if self.guard is None:
            return self.regex.finditer(text)
        return self._at_guards(text, self.guard)

    def search(self, text: str) -> re.Match[str] | None:
        return next(self.finditer(text), None)

    def _at_guards(self, text: str, guard: tuple[str, ...]) -> Iterator[re.Match[str]]:
        starts: set[int] = set()
        for literal in guard:
            at = text.find(literal)
            while at != -1:
                starts.add(at)
                at = text.find(literal, at + 1)
        end = 0
        for at in sorted(starts):
            if at < end:
                continue  # inside the previous match: finditer's matches do not overlap
            m = self.regex.match(text, at)
            if m is not None:
                end = max(m.end(), at + 1)
                yield m
