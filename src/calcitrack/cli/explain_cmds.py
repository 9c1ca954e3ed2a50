"""Explanation commands: ``explain`` (an analysis for an audience), ``ask`` (a question) and ``eval-qa``.

``explain`` takes either an Analysis JSON (as written by ``calcitrack analyze --format json``) or a report
text file, which it analyses first; ``-`` reads either from stdin, like ``analyze -``, so that
``calcitrack analyze r.txt --format json | calcitrack explain -`` works. Report text is never printed or
logged beyond what the chosen explanation itself says.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from calcitrack.app.report_file import MAX_REPORT_BYTES, decode_report
from calcitrack.cli.inputs import parse_json_model
from calcitrack.cli.options import Lang, err_console
from calcitrack.errors import InputError
from calcitrack.models import Analysis

DEFAULT_EVAL_SET = Path("tests/explain/qa_eval.yaml")


class Audience(StrEnum):
    radiologist = "radiologist"
    clinician = "clinician"
    patient = "patient"


class ExplainFormat(StrEnum):
    text = "text"
    html = "html"
    json = "json"
    markdown = "markdown"


class AskFormat(StrEnum):
    text = "text"
    json = "json"


STDIN = "-"


def read_input(path: Path | str) -> str:
    """The file's text (``-``: stdin's, bounded like ``analyze -``), or an :class:`InputError` naming the file."""
    if str(path) == STDIN:
        decoded = decode_report(sys.stdin.buffer.read(MAX_REPORT_BYTES + 1), "<stdin>")  # a stream may never end
        if decoded.warning:
            err_console.print(f"warning: {decoded.warning}", markup=False)
        return decoded.text
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError(f"{path}: file not found") from exc
    except IsADirectoryError as exc:
        raise InputError(f"{path}: is a directory, expected a report text or an Analysis JSON file") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from exc


def load_analysis(path: Path | str) -> Analysis:
    """An Analysis from a JSON file, or from a report text file through the analyze use case
    (:func:`calcitrack.app.analyze.analyze`).

    A file whose first non-blank character is ``{`` is read as JSON, anything else as report text.
    """
    text = read_input(path)
    name = "<stdin>" if str(path) == STDIN else str(path)
    if text.lstrip().startswith("{"):
        return parse_json_model(text, Analysis, name)
    if not text.strip():
        raise InputError(f"{name}: empty report")
    from calcitrack.app.analyze import analyze  # imports the NLP layer only when a report must be read

    return analyze(text)  # the report's language is detected; --lang is the language of the explanation


def register(app: typer.Typer) -> None:
    @app.command("explain")
    def explain_cmd(
        file: Annotated[
            str, typer.Argument(
                help="report text file, or Analysis JSON (calcitrack analyze --format json); - for stdin")
        ],
        audience: Annotated[Audience, typer.Option(help="radiologist, clinician or patient")] = Audience.patient,
        lang: Annotated[Lang | None, typer.Option(help="language of the explanation (default: the report's)")] = None,
        fmt: Annotated[
            ExplainFormat, typer.Option("--format", help="text, html, json or markdown")
        ] = ExplainFormat.text,
    ) -> None:
        """Explain an analysed report to a radiologist, a clinician or a patient."""
        from calcitrack.explain import explain_analysis

        analysis = load_analysis(file)
        chosen = lang.value if lang else (analysis.report.lang or "en")
        typer.echo(explain_analysis(analysis, lang=chosen, audience=audience.value, fmt=fmt.value), nl=False)

    @app.command("ask")
    def ask_cmd(
        question: Annotated[str, typer.Argument(help="a question about a calcification finding")],
        lang: Annotated[Lang | None, typer.Option(help="language of the answer (default: the question's)")] = None,
        fmt: Annotated[AskFormat, typer.Option("--format", help="text or json")] = AskFormat.text,
    ) -> None:
        """Answer a common question from the knowledge base (or say politely that it cannot)."""
        from calcitrack.explain import answer_question
        from calcitrack.explain.texts import Texts
        from calcitrack.kb import get_kb

        if not question.strip():
            raise InputError('question: empty; ask for example "is a liver calcification dangerous?"')
        answer = answer_question(question, lang.value if lang else None)
        if fmt == AskFormat.json:
            typer.echo(json.dumps(answer.model_dump(mode="json"), ensure_ascii=False, indent=2))
            return
        typer.echo(answer.answer)
        if not answer.answered:
            return
        kb = get_kb()
        texts = Texts(kb)
        code = answer.lang
        shorts = [kb.sources[s].short if s in kb.sources else s for s in answer.sources]
        typer.echo(f"\n{texts.render('qa.heading.sources', code)}: {'; '.join(shorts)}")
        if answer.alternatives:
            titles = "; ".join(alt.title for alt in answer.alternatives)
            typer.echo(f"{texts.render('qa.heading.alternatives', code)}: {titles}")
        typer.echo(f"\n{texts.render('qa.disclaimer', code)}")

    @app.command("eval-qa")
    def eval_qa_cmd(
        file: Annotated[
            Path | None, typer.Argument(help="evaluation YAML (default tests/explain/qa_eval.yaml)")
        ] = None,
        show_misses: Annotated[bool, typer.Option("--misses/--no-misses", help="list the questions missed")] = True,
    ) -> None:
        """Measure the question answering: top-1 and top-3 accuracy, refusal accuracy, overall and per language."""
        from calcitrack.explain.qa.evaluate import evaluate, load_eval_set

        path = file or DEFAULT_EVAL_SET
        if not path.exists():
            raise InputError(f"{path}: evaluation file not found")
        result = evaluate(load_eval_set(path))
        typer.echo(f"questions: {result.total_answerable} answerable, {result.total_refusable} off-domain")
        typer.echo(f"top-1 accuracy: {result.top1_accuracy:.3f} ({result.top1}/{result.total_answerable})")
        typer.echo(f"top-3 accuracy: {result.top3_accuracy:.3f} ({result.top3}/{result.total_answerable})")
        typer.echo(f"refusal accuracy: {result.refusal_accuracy:.3f} ({result.refused}/{result.total_refusable})")
        for code, part in sorted(result.by_lang.items()):
            typer.echo(
                f"{code}: top-1 {part.top1_accuracy:.3f} ({part.top1}/{part.total_answerable}), "
                f"top-3 {part.top3_accuracy:.3f} ({part.top3}/{part.total_answerable}), "
                f"refused {part.refused}/{part.total_refusable} off-domain"
            )
        if show_misses:
            for item, answer in result.misses:
                got = answer.passage_id if answer.answered else "refused"
                typer.echo(f"miss: {item.q!r}: expected {item.expect or 'refusal'}, got {got}")
