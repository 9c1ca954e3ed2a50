"""Explanations of an analysis for radiologists, clinicians and patients, and answers to common questions.

All wording lives in the KB text files (``texts.<lang>.yaml``); this package only chooses which texts to
say, fills them in, and lays them out (text, Markdown, HTML, JSON).
"""

from __future__ import annotations

from calcitrack.explain.document import FORMATS, Document
from calcitrack.explain.qa.answer import Answer, answer_question
from calcitrack.explain.render import AUDIENCES, build_document, explain_analysis

__all__ = ["AUDIENCES", "FORMATS", "Answer", "Document", "answer_question", "build_document", "explain_analysis"]
