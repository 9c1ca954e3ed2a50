"""Core commands: ``schema``, ``assess`` (one finding from flags) and ``kb check|show|rules``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from calcitrack.assess.engine import assess
from calcitrack.assess.golden import check_kb
from calcitrack.cli.options import Fmt, Lang, console
from calcitrack.kb import KnowledgeBase, get_kb, load_kb
from calcitrack.models import SCHEMA_VERSION, Assessment, Finding, PatientContext, json_schemas


def _count(value: str | None) -> int | str | None:
    """``--count`` accepts an integer or the words single / multiple."""
    if value is None:
        return None
    text = value.strip().lower()
    return int(text) if text.lstrip("-").isdigit() else text


def format_recommendation(rec: Any) -> str:
    """One recommendation as a radiologist reads it. KB texts state their own schedule in words; the
    machine-readable interval and duration stay in the JSON output for the registry."""
    return f"{rec.what} — {rec.when}" if rec.when else str(rec.what)


def print_assessment(kb: KnowledgeBase, result: Assessment, lang: str, out: Console = console) -> None:
    """The text a radiologist reads: action, top of the differential, recommendations, sources."""
    out.print(f"[bold]{kb.text('label.action', lang)}:[/bold] {kb.text('action.' + result.action.value, lang)}"
              f"  [dim]({result.action.value}; {kb.text('label.policy', lang)} {result.policy})[/dim]")
    if result.differential:
        out.print(f"[bold]{kb.text('label.differential', lang)}:[/bold]")
        for entry in result.differential[:5]:
            name = kb.conditions[entry.condition_id].name(lang)
            out.print(f"  • {name} ({kb.text('tier.' + entry.tier.value, lang)}): {'; '.join(entry.reasons)}",
                      markup=False)
    if result.recommendations:
        out.print(f"[bold]{kb.text('label.recommendations', lang)}:[/bold]")
        for rec in result.recommendations:
            out.print(f"  • [{kb.text('kind.' + rec.kind.value, lang)}] {format_recommendation(rec)}",
                      markup=False)
    if result.missing_information:
        out.print(f"[bold]{kb.text('label.missing_information', lang)}:[/bold]")
        for question in result.missing_information:
            out.print(f"  ? {question}", markup=False)
    shorts = [kb.sources[s].short for s in result.sources]
    out.print(f"[bold]{kb.text('label.sources', lang)}:[/bold] {escape('; '.join(shorts))}")
    rules = escape(", ".join(result.rules_fired))
    out.print(f"[dim]{kb.text('label.rules', lang)}: {rules} · KB {result.kb_version}[/dim]")


def register(app: typer.Typer) -> None:
    kb_app = typer.Typer(help="Inspect and check the knowledge base.", no_args_is_help=True)
    app.add_typer(kb_app, name="kb")

    @app.command("schema")
    def schema_cmd() -> None:
        """Print the JSON Schema of Analysis, Finding, Assessment and PatientContext."""
        print(json.dumps(json_schemas(), indent=2, ensure_ascii=False))

    @app.command("assess")
    def assess_cmd(
        organ: Annotated[str, typer.Option(help="liver, biliary, spleen, soft_tissue or other")],
        site: Annotated[str | None, typer.Option(help="e.g. segment_VII, right_lobe")] = None,
        size_mm: Annotated[float | None, typer.Option(help="largest dimension in mm")] = None,
        count: Annotated[str | None, typer.Option(help="a number, single or multiple")] = None,
        pattern: Annotated[str | None, typer.Option(help="punctate, coarse, rim, ductal, ...")] = None,
        acoustic_shadow: Annotated[bool | None, typer.Option("--acoustic-shadow/--no-acoustic-shadow")] = None,
        duct_dilatation: Annotated[bool | None, typer.Option("--duct-dilatation/--no-duct-dilatation")] = None,
        associated_mass: Annotated[bool | None, typer.Option("--associated-mass/--no-associated-mass")] = None,
        interval_change: Annotated[str | None, typer.Option(help="new, stable, increased, decreased")] = None,
        known_cancer: Annotated[str | None, typer.Option(help="primary site, e.g. colorectal-mucinous; none")] = None,
        age: Annotated[int | None, typer.Option(help="age in years")] = None,
        sex: Annotated[str | None, typer.Option(help="female, male, other")] = None,
        pregnant: Annotated[bool | None, typer.Option("--pregnant/--not-pregnant")] = None,
        endemic_exposure: Annotated[bool | None, typer.Option("--endemic-exposure/--no-endemic-exposure")] = None,
        immunosuppressed: Annotated[bool | None, typer.Option("--immunosuppressed/--not-immunosuppressed")] = None,
        ckd: Annotated[bool | None, typer.Option("--ckd/--no-ckd", help="chronic kidney disease / dialysis")] = None,
        policy: Annotated[str | None, typer.Option(help="standard or seed (default: CALCITRACK_POLICY)")] = None,
        lang: Annotated[Lang, typer.Option(help="language of the output")] = Lang.en,
        fmt: Annotated[Fmt, typer.Option("--format", help="text or json")] = Fmt.text,
    ) -> None:
        """Assess one finding described by flags, in a patient context."""
        finding = Finding.model_validate(
            {
                "organ": organ.strip().lower(),
                "site": site,
                "size_mm": size_mm,
                "count": _count(count),
                "pattern": pattern,
                "acoustic_shadow": acoustic_shadow,
                "duct_dilatation": duct_dilatation,
                "associated_mass": associated_mass,
                "interval_change": interval_change,
                "lang": lang.value,
            }
        )
        context = PatientContext.model_validate(
            {
                "known_primary_cancer": known_cancer,
                "age": age,
                "sex": sex,
                "pregnant": pregnant,
                "endemic_exposure": endemic_exposure,
                "immunosuppressed": immunosuppressed,
                "ckd_dialysis": ckd,
            }
        )
        kb = get_kb()
        result = assess(finding, context, policy=policy, lang=lang.value, kb=kb)
        if fmt == Fmt.json:
            payload = {
                "schema_version": SCHEMA_VERSION,
                **result.model_dump(mode="json"),
                "finding": finding.model_dump(mode="json", exclude_none=True),
                "context": context.model_dump(mode="json", exclude_none=True, exclude_defaults=True),
            }
            print(json.dumps(payload, indent=2, ensure_ascii=False))
        else:
            print_assessment(kb, result, lang.value)

    @kb_app.command("check")
    def kb_check_cmd(
        golden: Annotated[Path | None, typer.Option(help="golden cases (default: golden.yaml of the KB)")] = None,
        kb_path: Annotated[Path | None, typer.Option("--kb", help="KB directory (default: packaged)")] = None,
    ) -> None:
        """Validate the KB (references, coverage, both languages) and run the golden cases."""
        kb = load_kb(kb_path) if kb_path else load_kb()
        report = check_kb(kb, golden)
        table = Table(title=f"Knowledge base {kb.kb_version}", show_header=False)
        for name, value in report.counts.items():
            table.add_row(name, str(value))
        console.print(table)
        for note in report.notes:
            console.print(f"note: {note}", markup=False)
        for problem in report.problems:
            console.print(f"problem: {problem}", markup=False, style="red")
        if not report.ok:
            console.print(f"kb check: {len(report.problems)} problem(s)", style="bold red")
            raise typer.Exit(1)
        console.print("kb check: ok", style="bold green")

    @kb_app.command("show")
    def kb_show_cmd(
        condition: Annotated[str, typer.Argument(help="condition id, e.g. calcified_granuloma")],
        lang: Annotated[Lang, typer.Option()] = Lang.en,
    ) -> None:
        """Show one condition with every statement and its sources."""
        kb = get_kb()
        if condition not in kb.conditions:
            from calcitrack.cli.app import fail

            fail(f"unknown condition {condition!r}; see `calcitrack kb rules` or the KB docs for ids")
        item = kb.conditions[condition]
        code = lang.value
        console.print(f"[bold]{item.name(code)}[/bold] ({item.id}) — {', '.join(item.names.get(code)[1:])}")
        blocks = [
            ("summary", [item.summary]),
            ("imaging", item.imaging),
            ("red flags", item.red_flags),
            ("work-up", item.workup),
            ("management", item.management),
            ("epidemiology", item.epidemiology),
        ]
        for title, statements in blocks:
            if statements:
                console.print(f"[bold]{title}[/bold]")
                for statement in statements:
                    cited = ", ".join(kb.sources[s].short for s in statement.sources)
                    console.print(f"  • {statement.get(code)} [{cited}]", markup=False)
        rules = [rule.id for rule in kb.rules if any(d.condition == condition for d in rule.differential)]
        console.print(f"[bold]rules[/bold]: {', '.join(rules)}")
        claims = [c for c in kb.claims if condition in c.conditions]
        for claim in claims:
            console.print(f"  seed claim {claim.id} ({claim.verdict}): {claim.claim.get(code)} — "
                          f"{claim.evidence.get(code)}", markup=False)

    @kb_app.command("rules")
    def kb_rules_cmd(
        lang: Annotated[Lang, typer.Option()] = Lang.en,
        fmt: Annotated[Fmt, typer.Option("--format")] = Fmt.text,
    ) -> None:
        """List the decision table: id, title, action, policies, sources."""
        kb = get_kb()
        if fmt == Fmt.json:
            print(json.dumps([rule.model_dump(mode="json") for rule in kb.rules], indent=2, ensure_ascii=False))
            return
        table = Table(title=f"Rules (KB {kb.kb_version})")
        for column in ("id", "title", "action", "policies", "sources"):
            table.add_column(column)
        for rule in kb.rules:
            table.add_row(
                rule.id,
                rule.title.get(lang.value),
                rule.action.value,
                ", ".join(rule.policies or ["all"]),
                ", ".join(kb.sources[s].short for s in rule.sources),
            )
        console.print(table)
