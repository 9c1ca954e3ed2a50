"""Report commands: ``analyze`` (one report) and ``eval`` (against gold files); ``batch`` is in ``batch_cmds``.

Both go through the analyze use case (:mod:`calcitrack.app.analyze`), so a report is read and assessed the same way
whichever door it came in by. Input problems become one line naming the file (and line) — never a
traceback. While the knowledge base cannot be loaded (it is written in parallel), reports are still
read: the Analysis then carries findings without assessments and a one-line warning goes to stderr.
An unknown ``--policy`` is not such a case: it is the user's mistake, refused in one line naming the known
policies (exit 2) before the report is read, as the API answers 422.

A report larger than :data:`STATUS_BYTES` shows a Rich status on stderr while it is analysed (a terminal
only; scripts capturing stderr get nothing extra), so a user knows the command is working.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from calcitrack.app.report_file import MAX_REPORT_BYTES, decode_report
from calcitrack.cli.inputs import parse_json_model
from calcitrack.cli.options import Fmt, Lang, console, err_console, print_json
from calcitrack.errors import InputError, InvalidInput
from calcitrack.models import Analysis, PatientContext, Report

MAX_BYTES = MAX_REPORT_BYTES  # the one limit of app/report_file.py
STATUS_BYTES = 1_000_000
"""From this size (1 MB, some twenty times a long report) ``analyze`` shows that it is working."""


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    fhir = "fhir"


_kb_warned = False


def analyze(report: Report, context: PatientContext | None = None, policy: str | None = None) -> Analysis:
    """The analyze use case (:func:`calcitrack.app.analyze.analyze`); the degraded-mode warning (KB not
    loadable) goes to stderr once per process, not once per report."""
    global _kb_warned
    from calcitrack.app.analyze import analyze as analyze_use_case
    from calcitrack.app.analyze import degraded_warning

    analysis = analyze_use_case(report, context=context, policy=policy)
    warning = degraded_warning(analysis)
    if warning is not None and not _kb_warned:
        err_console.print(f"warning: {warning}", markup=False)
        _kb_warned = True
    return analysis


def check_policy(policy: str | None) -> None:
    """Refuse an unknown ``--policy`` in one line naming it and the known ones.

    Without this an unknown policy could surface late, or be mistaken for an unavailable knowledge base
    (a degraded analysis with every assessment dropped and exit 0). When the KB itself cannot load, the
    analysis runs in degraded mode and says why; the policy cannot be checked then.
    """
    if policy is None:
        return
    from calcitrack.kb import get_kb
    from calcitrack.kb.loader import KBError

    try:
        known = get_kb().policies
    except KBError:
        return
    if policy not in known:
        raise InvalidInput(f"--policy {policy!r}: unknown policy; known policies: {', '.join(sorted(known))}")


def parse_context(value: str | None) -> PatientContext | None:
    """``--context`` as inline JSON or ``@file.json``."""
    if value is None:
        return None
    source = "--context"
    raw = value
    if value.startswith("@"):
        source = value[1:]
        try:
            raw = Path(source).read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"{source}: cannot read context file: {exc.strerror or exc}") from exc
    return parse_json_model(raw, PatientContext, source)


def marked_text(analysis: Analysis) -> str:
    """The report with each finding's evidence marked ``[[text]]{f1}``."""
    text = analysis.report.text
    pieces: list[str] = []
    last = 0
    for finding in analysis.findings:
        ev = finding.evidence
        if ev is None or ev.start < last:
            continue
        pieces += [text[last:ev.start], f"[[{text[ev.start:ev.end]}]]{{{finding.id}}}"]
        last = ev.end
    pieces.append(text[last:])
    return "".join(pieces)


def _describe(finding: Any) -> str:
    parts = [finding.organ.value]
    for name in ("site", "organ_detail", "size_mm", "count", "pattern", "interval_change"):
        value = getattr(finding, name)
        if value is not None:
            parts.append(f"{name}={getattr(value, 'value', value)}")
    parts += [flag for flag in ("negated", "uncertain", "historical") if getattr(finding, flag)]
    return ", ".join(parts)


def print_analysis_text(analysis: Analysis, out: Console = console) -> None:
    """What a radiologist reads: the marked report, the report's action, then each lesion (its mentions
    listed by id) with its one assessment."""
    out.print(marked_text(analysis), markup=False)
    out.print("")
    for warning in analysis.warnings:
        out.print(f"warning: {warning}", markup=False)
    if not analysis.findings:
        out.print("No calcification finding.", markup=False)
    elif analysis.summary.action is not None:
        out.print(f"Report action: {analysis.summary.action.value} ({analysis.summary.headline})", markup=False)
    by_lesion = {a.lesion_id: a for a in analysis.assessments}
    for lesion in analysis.lesions:
        mentions = ", ".join(lesion.finding_ids)
        out.print(f"{lesion.id} [{mentions}]: {_describe(lesion)}", markup=False)
        if lesion.labels:
            out.print(f"    called: {', '.join(lesion.labels)}", markup=False)
        assessment = by_lesion.get(lesion.id)
        if assessment is None:
            out.print("    (no assessment)", markup=False)
            continue
        out.print(f"    action: {assessment.action.value}  (policy {assessment.policy})", markup=False)
        if assessment.differential:
            top = assessment.differential[0]
            out.print(f"    top differential: {top.condition_id} ({top.tier.value})", markup=False)
        for rec in assessment.recommendations:
            when = f" {rec.interval}" if rec.interval else ""
            out.print(f"    recommendation: [{rec.kind.value}] {rec.what}{when}", markup=False)
        for question in assessment.missing_information:
            out.print(f"    would change the action: {question}", markup=False)
        out.print(f"    report agreement: {assessment.report_agreement.value}", markup=False)
    for rec in analysis.report_recommendations:
        what = "no follow-up" if rec.no_followup else " ".join(x for x in (rec.modality, rec.interval) if x)
        out.print(f"report recommends: {what}{' (conditional)' if rec.conditional else ''}"
                  f"{' (hedged)' if rec.hedged else ''}", markup=False)


def register(app: typer.Typer) -> None:
    @app.command("analyze")
    def analyze_cmd(
        file: Annotated[str, typer.Argument(help="report text file, or - for stdin")],
        lang: Annotated[Lang | None, typer.Option(help="language of the report (detected when absent)")] = None,
        context: Annotated[str | None, typer.Option(help="patient context as JSON, or @file.json")] = None,
        policy: Annotated[str | None, typer.Option(help="policy id (default: CALCITRACK_POLICY or standard)")] = None,
        fmt: Annotated[OutputFormat, typer.Option("--format", help="text, json or fhir")] = OutputFormat.text,
    ) -> None:
        """Read one report: findings marked in the text, and each finding's assessment."""
        check_policy(policy)
        name = "<stdin>" if file == "-" else file
        if file == "-":
            data = sys.stdin.buffer.read(MAX_BYTES + 1)  # bounded: a stream may never end (/dev/zero)
        else:
            try:
                with Path(file).open("rb") as handle:
                    data = handle.read(MAX_BYTES + 1)
            except OSError as exc:
                raise InputError(f"{file}: cannot read: {exc.strerror or exc}") from exc
        decoded = decode_report(data, name)
        if decoded.warning:
            err_console.print(f"warning: {decoded.warning}", markup=False)
        text = decoded.text
        if not text.strip():
            raise InputError(f"{name}: empty report")
        patient = parse_context(context)
        report = Report(id=Path(name).stem if file != "-" else "stdin", text=text, lang=lang.value if lang else None)
        if len(data) >= STATUS_BYTES:
            with err_console.status(f"analysing a {len(data) / 1_000_000:.1f} MB report...", spinner="dots"):
                analysis = analyze(report, context=patient, policy=policy)
        else:
            analysis = analyze(report, context=patient, policy=policy)
        if fmt == OutputFormat.json:
            print(analysis.model_dump_json(indent=2))
        elif fmt == OutputFormat.fhir:
            from calcitrack.interop.fhir_out import analysis_to_bundle

            print(analysis_to_bundle(analysis))
        else:
            print_analysis_text(analysis)

    @app.command("eval")
    def eval_cmd(
        gold: Annotated[list[Path], typer.Argument(help="gold JSON-lines files (shared/corpus/gold format)")],
        show: Annotated[bool, typer.Option("--show", help="list every miss (mentions, attributes, actions)")] = False,
        fmt: Annotated[Fmt, typer.Option("--format", help="text (tables, last line JSON) or json")] = Fmt.text,
    ) -> None:
        """Mention recall/precision, attributes and qualifiers per language against gold files; when the gold
        carries ``action``, report-action agreement and the gold × system action matrix (same rule as
        shared/corpus/score.py). In text output the last line is the JSON of the figures."""
        from rich.table import Table

        from calcitrack.nlp.evaluation import ACTION_ORDER, NONE, load_gold, score, score_actions

        docs = [doc for path in gold for doc in load_gold(path)]
        analyses: dict[str, dict[str, Any]] = {}
        for doc in docs:
            analysis = analyze(Report(id=doc.id, text=doc.text))
            analyses[doc.id] = analysis.model_dump(mode="json", include={"findings", "assessments", "summary"})
        metrics, misses = score(docs, {k: v["findings"] for k, v in analyses.items()})
        out: dict[str, Any] = dict(metrics)
        actions: dict[str, Any] | None = None
        if any(doc.action is not None for doc in docs):
            actions, action_misses = score_actions(docs, analyses)
            misses += action_misses
            out["actions"] = actions
        if fmt == Fmt.json:
            if show:
                out["misses"] = misses
            print_json(out)
            return
        if show:
            for miss in misses:
                console.print(miss, markup=False)
        names = [k for k in next(iter(metrics.values())) if k != "mentions"] if metrics else []
        console.print(f"{'metric':<16}" + "".join(f"{lang:>8}" for lang in metrics), markup=False)
        console.print(f"{'mentions':<16}" + "".join(f"{m['mentions']:>8}" for m in metrics.values()), markup=False)
        for name in names:
            cells = "".join(f"{'-' if m[name] is None else format(m[name], '.3f'):>8}" for m in metrics.values())
            console.print(f"{name:<16}" + cells, markup=False)
        if actions is not None:
            columns = [*ACTION_ORDER, NONE]
            table = Table(title=f"Report action, gold (rows) x system (columns), {actions['n']} scored reports")
            table.add_column("gold \\ system")
            for col in columns:
                table.add_column(col, justify="right")
            for row in ACTION_ORDER:
                cells = actions["matrix"][row]
                table.add_row(row, *(f"[bold]{cells[c]}[/bold]" if c == row and cells[c] else str(cells[c] or ".")
                                     for c in columns))
            wide = Console(highlight=False, soft_wrap=True, width=max(console.width, 90), file=console.file)
            wide.print(table)  # at least 90 columns: the action names are never cut
            agreement = "  ".join(f"{lang} {value:.3f} (n={actions['scored'][lang]})"
                                  for lang, value in actions["agreement"].items())
            console.print(f"action agreement: {agreement or '-'}", markup=False)
            ids = ", ".join(actions["under_calls_urgent_ids"])
            console.print(f"under-calls of urgent (gold urgent, system below workup): {actions['under_calls_urgent']}"
                          + (f" ({ids})" if ids else ""), markup=False)
            console.print(f"under-calls: {actions['under_calls']}  over-calls: {actions['over_calls']}", markup=False)
            console.print(f"summary.action differs from the scorer's rule: {actions['summary_disagreements']}"
                          + (f" ({', '.join(actions['summary_disagreement_ids'])})"
                             if actions["summary_disagreement_ids"] else "")
                          + f"; agreement with summary.action instead: {actions['summary_agreement'] or 0:.3f}",
                          markup=False)
            unscored = {k: v for k, v in actions["unscored"].items() if v}
            if unscored:
                console.print("gold action null (not scored), system said: "
                              + ", ".join(f"{k} {v}" for k, v in unscored.items()), markup=False)
        print(json.dumps(out))
