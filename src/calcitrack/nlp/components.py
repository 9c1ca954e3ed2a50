"""calcitrack's report reading as an EDS-NLP component: ``nlp.add_pipe("calcitrack.findings")``.

An EDS-NLP user adds the component to their own pipeline; each finding becomes a span in
``doc.spans["calcifications"]`` whose extensions carry the :class:`~calcitrack.models.Finding` attributes
(``._.organ``, ``._.site``, ``._.size_mm``, ``._.count``, ``._.pattern`` ...) and qualifiers
(``._.negation``, ``._.hypothesis``, ``._.history``, EDS-NLP's names), and ``._.finding`` the finding itself.

Why the component reads ``doc.text`` with :func:`calcitrack.nlp.reader.read_report`, instead of re-running
the steps on the user's tokens: the findings must be exactly the ones calcitrack reports for the same text
(organ from headers and earlier sentences, windows around targets, the same qualifier pipes of
:mod:`calcitrack.nlp.pipeline`); the user's pipeline may tokenise or split sentences differently. The
spans are then placed on the user's tokens (expanded to token boundaries).

The component holds only its configuration (name, language, span key): it pickles small and rebuilds
nothing after ``pickle.loads`` (the reader's pipelines are built once per process on first use), so a
pipeline that contains it can be shipped to Spark executors or process pools.
"""

# no ``from __future__ import annotations``: EDS-NLP validates the factory's arguments from its real type hints
from typing import Any, Literal

from edsnlp.core import registry
from edsnlp.pipes.base import BaseComponent
from spacy.tokens import Doc, Span

from calcitrack.models import Finding, Report
from calcitrack.nlp.reader import read_report

SPAN_KEY = "calcifications"
"""Default ``doc.spans`` key of the findings."""

FINDING_EXTENSIONS = (
    "organ", "organ_detail", "site", "size_mm", "count", "pattern", "acoustic_shadow", "duct_dilatation",
    "associated_mass", "interval_change", "section", "characterisation",
)
"""Span extensions named after :class:`Finding` fields (enums as their string values)."""
QUALIFIER_EXTENSIONS = {"negation": "negated", "hypothesis": "uncertain", "history": "historical"}
"""Span extensions named as EDS-NLP's qualifiers name them, from the :class:`Finding` flag."""


def set_extensions() -> None:
    """Register the span and doc extensions, once per process (idempotent; EDS-NLP's qualifiers may have
    registered ``negation``/``hypothesis``/``history`` already, with the same default)."""
    for name in (*FINDING_EXTENSIONS, *QUALIFIER_EXTENSIONS, "finding"):
        if not Span.has_extension(name):
            Span.set_extension(name, default=None)
    if not Doc.has_extension("calcitrack_lang"):
        Doc.set_extension("calcitrack_lang", default=None)


def _plain(value: Any) -> Any:
    """Enum -> its value, lists of models -> their labels: plain values a DataFrame can hold."""
    if isinstance(value, list):
        return [getattr(item, "label", item) for item in value]
    return getattr(value, "value", value)


class CalcitrackFindings(BaseComponent):  # type: ignore[misc]
    """Calcification findings of a radiology report, as spans with calcitrack's attributes.

    Parameters
    ----------
    nlp
        The pipeline (only its vocabulary is used, through the doc).
    name
        The component's name in the pipeline.
    lang
        ``"en"`` or ``"fr"``: the report language (kept unless the text clearly reads as the other one,
        as in :func:`~calcitrack.nlp.reader.read_report`); ``None``: detected per document. Anything else
        is refused when the pipe is added (EDS-NLP validates the arguments against these type hints).
    span_key
        The ``doc.spans`` key the findings go to.
    """

    def __init__(
        self,
        nlp: Any = None,
        name: str = "calcitrack.findings",
        *,
        lang: Literal["en", "fr"] | None = "en",
        span_key: str = SPAN_KEY,
    ) -> None:
        self.lang = lang
        self.span_key = span_key
        super().__init__(nlp, name)

    def set_extensions(self) -> None:
        super().set_extensions()
        set_extensions()

    def __call__(self, doc: Doc) -> Doc:
        reading = read_report(Report(text=doc.text, lang=self.lang))
        spans: list[Span] = []
        for finding in reading.findings:
            if finding.evidence is None:
                continue
            span = doc.char_span(finding.evidence.start, finding.evidence.end, alignment_mode="expand")
            if span is None:
                continue
            spans.append(_annotated(Span(doc, span.start, span.end, label="calcification"), finding))
        doc.spans[self.span_key] = spans
        doc._.calcitrack_lang = reading.lang
        return doc


def _annotated(span: Span, finding: Finding) -> Span:
    for name in FINDING_EXTENSIONS:
        span._.set(name, _plain(getattr(finding, name)))
    for name, field in QUALIFIER_EXTENSIONS.items():
        span._.set(name, bool(getattr(finding, field)))
    span._.finding = finding
    return span


create_component = registry.factory.register(
    "calcitrack.findings",
    assigns=["doc.spans"],
)(CalcitrackFindings)
"""The factory behind ``nlp.add_pipe("calcitrack.findings", config={"lang": "fr"})`` (entry point
``calcitrack.findings`` in the ``edsnlp_factories`` and ``spacy_factories`` groups of ``pyproject.toml``)."""
