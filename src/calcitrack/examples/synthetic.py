"""Synthetic, fictitious report series for benchmarks and crash tests (no real patient data).

Why in the package: the benchmark and the kill -9 test need thousands of realistic reports with
known findings, built the same way; pre-analysed lines make them independent of NLP speed. Why beside the
bundled examples and not in the registry: the analyses are assessed by the engine, and the registry
(persistence only) calls no engine.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

from calcitrack.assess import assess
from calcitrack.kb import KnowledgeBase, get_kb
from calcitrack.lesions import as_lesion
from calcitrack.models import Analysis, Evidence, Finding, Modality, Organ, PatientContext, Pattern, Report, Section

SITES = ("segment_II", "segment_III", "segment_IV", "segment_V", "segment_VI", "segment_VII", "segment_VIII")
_ROMAN = {s: s.split("_")[1] for s in SITES}


def report_text(size: float, site: str, *, grown: bool = False) -> str:
    """A typical short English ultrasound report naming one liver calcification."""
    extra = " with surrounding soft tissue" if grown else ""
    return (
        "ABDOMINAL ULTRASOUND\nIndication: follow-up.\nFindings: The liver is normal in size. "
        f"There is a {size:g} mm coarse calcification in segment {_ROMAN[site]} of the liver{extra}, "
        "with posterior acoustic shadowing. No biliary dilatation. The spleen is normal.\n"
        f"Impression: {size:g} mm calcification in segment {_ROMAN[site]}."
    )


def reports(n_patients: int, *, seed: int = 7, per_patient: int = 3) -> Iterator[tuple[Report, Finding]]:
    """Series of reports: a calcification that stays stable or grows, one to ``per_patient`` reports each."""
    rng = random.Random(seed)
    start = dt.date(2024, 1, 1)
    for p in range(n_patients):
        site = rng.choice(SITES)
        size = float(rng.randint(3, 9))
        grows = rng.random() < 0.2
        day = start + dt.timedelta(days=rng.randint(0, 300))
        for k in range(rng.randint(1, per_patient)):
            grown = grows and k == 2
            current = size + 5 if grown else size
            text = report_text(current, site, grown=grown)
            report = Report(
                id=f"SYN-{p:06d}-{k}", patient_id=f"SYN-P{p:06d}", date=day, modality=Modality.US, lang="en",
                text=text,
            )
            at = text.index("calcification")
            finding = Finding(
                id="f1", organ=Organ.liver, site=site, size_mm=current, pattern=Pattern.coarse, acoustic_shadow=True,
                associated_mass=True if grown else None, section=Section.findings,
                evidence=Evidence(start=at, end=at + len("calcification"), text="calcification"),
            )
            yield report, finding
            day += dt.timedelta(days=rng.randint(150, 200))


def analyses(
    n_patients: int, *, policy: str = "seed", seed: int = 7, kb: KnowledgeBase | None = None
) -> Iterator[Analysis]:
    """Pre-analysed reports (findings as an NLP would read them, assessed by the real engine)."""
    kb = kb or get_kb()
    context = PatientContext()
    for report, finding in reports(n_patients, seed=seed):
        lesion = as_lesion(finding)
        assessment = assess(lesion, context, policy=policy, kb=kb)
        yield Analysis(
            report=report, context=context, findings=[finding], lesions=[lesion], assessments=[assessment],
            kb_version=kb.kb_version, policy=assessment.policy,
        )
