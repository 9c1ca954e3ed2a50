"""The domain model: the JSON contract of calcitrack (DESIGN §3).

Every JSON that leaves calcitrack serialises these models. Field names are the contract: fields may be
added, none renamed without bumping ``SCHEMA_VERSION``. The models are deliberately free of behaviour
beyond validation, so that every layer (NLP, engine, registry, API) can share them without import cycles.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SCHEMA_VERSION = "2.0"
"""2.0: lesions (``Analysis.lesions``, ``Assessment.lesion_id``, ``Analysis.summary``), characterisations."""


class Organ(StrEnum):
    """Where a calcification lies. ``other`` is out of scope for the engine (it never guesses there)."""

    liver = "liver"
    biliary = "biliary"
    spleen = "spleen"
    soft_tissue = "soft_tissue"
    other = "other"


class Pattern(StrEnum):
    """Morphology of the calcification, as radiology reports describe it."""

    punctate = "punctate"
    coarse = "coarse"
    rim = "rim"
    curvilinear = "curvilinear"
    clustered = "clustered"
    diffuse = "diffuse"
    ductal = "ductal"
    cloud_like = "cloud_like"
    central_scar = "central_scar"
    septal = "septal"


class IntervalChange(StrEnum):
    """Change against prior imaging, stated by the report or computed by the registry."""

    new = "new"
    stable = "stable"
    increased = "increased"
    decreased = "decreased"
    resolved = "resolved"


class Section(StrEnum):
    findings = "findings"
    impression = "impression"
    history = "history"
    other = "other"


class Action(StrEnum):
    """Action levels of the knowledge base (clinical reference §5), ordered by :data:`ACTION_RANK`."""

    out_of_scope = "out_of_scope"
    no_followup = "no_followup"
    surveillance = "surveillance"
    workup = "workup"
    urgent = "urgent"


ACTION_RANK: dict[Action, int] = {
    Action.out_of_scope: 0,
    Action.no_followup: 1,
    Action.surveillance: 2,
    Action.workup: 3,
    Action.urgent: 4,
}


class Tier(StrEnum):
    """How a condition sits in the differential. Ranking order is likely, possible, must_exclude."""

    likely = "likely"
    possible = "possible"
    must_exclude = "must_exclude"


TIER_RANK: dict[Tier, int] = {Tier.likely: 0, Tier.possible: 1, Tier.must_exclude: 2}


class RecommendationKind(StrEnum):
    imaging = "imaging"
    lab = "lab"
    biopsy = "biopsy"
    referral = "referral"
    treatment = "treatment"
    none = "none"


class ReportAgreement(StrEnum):
    agrees = "agrees"
    report_recommends_less = "report_recommends_less"
    report_recommends_more = "report_recommends_more"
    report_silent = "report_silent"


class Modality(StrEnum):
    US = "US"
    CT = "CT"
    MR = "MR"
    XR = "XR"
    other = "other"


Lang = Literal["en", "fr"]
CountValue = int | Literal["single", "multiple"]

CHARACTERISATIONS: tuple[str, ...] = (
    "granuloma",  # "calcified granuloma", "granulomatous", "granulome calcifié"
    "benign",  # "benign", "bénigne", "typical benign appearance"
    "sequela",  # "sequela of prior infection", "séquellaire", "healed", "old"
    "insignificant",  # "of no clinical significance", "sans caractère pathologique"
    "stable",  # "stable since 2019", "unchanged", "inchangée", "stable depuis"
    "small",  # "tiny", "small", "millimetric", "punctiforme", "petite"
    "hydatid",  # "hydatid cyst", "echinococcal", "kyste hydatique"
    "ce1", "ce2", "ce3", "ce4", "ce5",  # WHO-IWGE stage of a hydatid cyst
    "lipiodol",  # "lipiodol deposit", "post-TACE", "lipiodolisation"
    "tumoral_calcinosis",  # "tumoral calcinosis", "calcinose pseudo-tumorale"
    "suspicious",  # "suspicious for", "concerning for", "worrisome", "suspect de"
    "metastasis",  # "calcified metastasis", "métastase calcifiée"
    "stone",  # "stone", "calculus", "lithiase", "calcul"
    "phlebolith",
    "vascular",  # "arterial wall calcification", "calcification of the splenic artery"
    "aneurysm",  # "aneurysm", "anévrisme"
    "cyst",  # "calcified cyst", "kyste calcifié"
    "abscess",  # "abscess", "abcès"
    "post_treatment",  # "post-ablation", "after surgery", "post-chimiothérapie"
    "tendinitis",  # "calcific tendinitis", "tendinopathie calcifiante"
    "myositis_ossificans",
)
"""Labels of what the radiologist calls a calcification (clinical reference §3.3): facts the rules read."""

CANCER_SITES: tuple[str, ...] = (
    "none",
    "colorectal",
    "colorectal_mucinous",
    "gastric",
    "ovarian",
    "pancreatic",
    "breast",
    "thyroid",
    "lung",
    "neuroendocrine",
    "osteosarcoma",
    "neuroblastoma",
    "melanoma",
    "other",
)
"""Values of :attr:`PatientContext.known_primary_cancer`. ``none`` means "no cancer"; ``None`` means unknown."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=False)


class Evidence(_Model):
    """The span of the report a finding was read from (character offsets into ``Report.text``)."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str


class Characterisation(_Model):
    """What the radiologist calls the calcification ("consistent with a calcified granuloma"), with its span.

    ``label`` is one of :data:`CHARACTERISATIONS`. These are the report's own words read as facts (R0):
    the rules read them, and the explanation quotes ``evidence``.
    """

    label: str
    evidence: Evidence | None = None

    @field_validator("label")
    @classmethod
    def _known_label(cls, value: str) -> str:
        if value not in CHARACTERISATIONS:
            raise ValueError(f"unknown characterisation {value!r}; expected one of {', '.join(CHARACTERISATIONS)}")
        return value


class Finding(_Model):
    """One calcification mention, structured. Negated mentions are kept: "no calcification" is information."""

    id: str = "f1"
    organ: Organ
    organ_detail: str | None = None
    site: str | None = Field(default=None, description="e.g. right_lobe, segment_VII, dome, intrahepatic_duct")
    count: CountValue | None = None
    size_mm: float | None = Field(
        default=None,
        gt=0,
        le=1000,
        description="Largest dimension in mm of the calcification, or of the calcified lesion.",
    )
    pattern: Pattern | None = None
    acoustic_shadow: bool | None = None
    duct_dilatation: bool | None = None
    associated_mass: bool | None = None
    interval_change: IntervalChange | None = None
    negated: bool = False
    uncertain: bool = False
    historical: bool = False
    section: Section = Section.findings
    evidence: Evidence | None = None
    lang: Lang = "en"
    characterisation: list[Characterisation] = Field(
        default_factory=list, description="What the report calls this mention (read from its sentence)."
    )

    @field_validator("count")
    @classmethod
    def _count_positive(cls, value: CountValue | None) -> CountValue | None:
        if isinstance(value, int) and value < 1:
            raise ValueError("count must be at least 1, or 'single' / 'multiple'")
        return value


class PatientContext(_Model):
    """What is known about the patient. Every field is optional and ``None`` means unknown, never "no"."""

    age: int | None = Field(default=None, ge=0, le=130)
    sex: Literal["female", "male", "other"] | None = None
    pregnant: bool | None = None
    fetal_finding: bool | None = Field(default=None, description="The finding is on a prenatal (fetal) scan.")
    known_primary_cancer: str | None = Field(
        default=None, description="Site of a known primary malignancy, 'none' for no cancer, null if unknown."
    )
    chronic_liver_disease: bool | None = None
    granulomatous_exposure: bool | None = Field(
        default=None, description="Past tuberculosis, histoplasmosis or sarcoidosis."
    )
    endemic_exposure: bool | None = Field(
        default=None,
        description="Residence or travel in an area endemic for echinococcosis or schistosomiasis.",
    )
    immunosuppressed: bool | None = None
    ckd_dialysis: bool | None = None
    hyperparathyroidism: bool | None = None
    vitamin_d_excess: bool | None = None
    raised_phosphate: bool | None = None
    family_history: bool | None = None
    medications: list[str] = Field(default_factory=list)
    prior_liver_treatment: list[str] = Field(
        default_factory=list, description="surgery, biopsy, ablation, tace_lipiodol, chemotherapy"
    )
    prior_trauma: bool | None = None
    prior_imaging_available: bool | None = None
    fever: bool | None = None
    jaundice: bool | None = None
    abdominal_pain: bool | None = None
    weight_loss: bool | None = None
    cholestatic_liver_tests: bool | None = None
    raised_afp: bool | None = None
    ancestry: str | None = None

    @field_validator("known_primary_cancer")
    @classmethod
    def _known_cancer_site(cls, value: str | None) -> str | None:
        if value is None:
            return None
        normalised = value.strip().lower().replace("-", "_").replace(" ", "_")
        if normalised not in CANCER_SITES:
            raise ValueError(f"unknown cancer site {value!r}; expected one of {', '.join(CANCER_SITES)}")
        return normalised

    def merged_over(self, base: PatientContext) -> PatientContext:
        """Return ``base`` with every field this context knows overriding it (the caller wins)."""
        data = base.model_dump()
        for name, value in self.model_dump().items():
            if value not in (None, []):
                data[name] = value
        return PatientContext.model_validate(data)


class DifferentialEntry(_Model):
    condition_id: str
    tier: Tier
    reasons: list[str] = Field(default_factory=list)
    weight: float = 0.0


class Recommendation(_Model):
    kind: RecommendationKind
    what: str
    when: str | None = None
    interval: str | None = Field(default=None, description="ISO 8601 duration, e.g. P6M")
    duration: str | None = Field(default=None, description="ISO 8601 duration, e.g. P3Y")
    rationale: str | None = None
    id: str | None = Field(default=None, description="Knowledge-base id of the recommendation")
    sources: list[str] = Field(default_factory=list)


class ReportRecommendation(_Model):
    """What the report itself recommends ("Recommend follow-up ultrasound in 6 months")."""

    modality: str | None = None
    interval: str | None = None
    conditional: bool = False
    hedged: bool = False
    no_followup: bool = False
    evidence: Evidence | None = None


class Lesion(_Model):
    """One calcification or calcified lesion of the patient, however many times the report names it.

    Grouping is defined once (:func:`calcitrack.lesions.group_lesions`) and used by every layer. The
    attributes are merged from the mentions (``finding_ids``, in text order): a stated value beats an
    absent one; when two mentions state different values the main mention's value is kept and every
    value seen is listed in ``conflicts`` so that the disagreement stays visible. The lesion is current
    and affirmed when any of its mentions is (``negated`` / ``historical`` only when all are).
    """

    id: str = "l1"
    finding_ids: list[str] = Field(default_factory=list)
    main_finding_id: str = "f1"
    organ: Organ
    organ_detail: str | None = None
    site: str | None = None
    count: CountValue | None = None
    size_mm: float | None = Field(default=None, gt=0, le=1000)
    pattern: Pattern | None = None
    acoustic_shadow: bool | None = None
    duct_dilatation: bool | None = None
    associated_mass: bool | None = None
    interval_change: IntervalChange | None = None
    negated: bool = False
    uncertain: bool = False
    historical: bool = False
    section: Section = Section.findings
    lang: Lang = "en"
    characterisation: list[Characterisation] = Field(default_factory=list)
    conflicts: dict[str, list[Any]] = Field(
        default_factory=dict, description="Attributes on which the mentions disagree: every value stated."
    )
    evidence: Evidence | None = Field(default=None, description="The main mention's span.")

    @property
    def labels(self) -> list[str]:
        """The characterisation labels, without duplicates, in text order."""
        return list(dict.fromkeys(c.label for c in self.characterisation))

    @property
    def current(self) -> bool:
        """Affirmed and not only historical: the lesions that get an assessment."""
        return not self.negated and not self.historical


class Assessment(_Model):
    lesion_id: str | None = Field(default=None, description="The lesion assessed (schema 2.0).")
    finding_id: str
    action: Action
    differential: list[DifferentialEntry] = Field(default_factory=list)
    recommendations: list[Recommendation] = Field(default_factory=list)
    missing_information: list[str] = Field(default_factory=list)
    missing_information_ids: list[str] = Field(default_factory=list)
    report_agreement: ReportAgreement = ReportAgreement.report_silent
    rules_fired: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    policy: str = "standard"
    kb_version: str = ""


class Report(_Model):
    id: str = "report"
    patient_id: str | None = None
    date: dt.date | None = None
    modality: Modality | None = None
    lang: Lang | None = None
    text: str = ""


class Summary(_Model):
    """The report in one line: its action (highest among current, affirmed, in-scope lesions), the lesion
    that sets it, and a headline for a worklist. ``action`` is null when the report has no such lesion."""

    action: Action | None = None
    lesion_id: str | None = None
    headline: str = ""


class Analysis(_Model):
    report: Report
    context: PatientContext = Field(default_factory=PatientContext)
    findings: list[Finding] = Field(default_factory=list)
    lesions: list[Lesion] = Field(default_factory=list)
    report_recommendations: list[ReportRecommendation] = Field(default_factory=list)
    assessments: list[Assessment] = Field(default_factory=list)
    summary: Summary = Field(default_factory=Summary)
    warnings: list[str] = Field(
        default_factory=list, description="Reading warnings, e.g. a --lang that the text contradicts."
    )
    kb_version: str = ""
    schema_version: str = SCHEMA_VERSION
    policy: str = "standard"
    timings: dict[str, float] = Field(default_factory=dict)

    def explanation(self, lang: Lang = "en", audience: str = "patient") -> str:
        """Plain-text explanation of this analysis for an audience (radiologist, clinician, patient).

        The same as :func:`calcitrack.explanation`; the explanation layer sits above the models, so it
        installs itself (:func:`install_explainer`, done by ``import calcitrack``) instead of being imported.
        """
        if _EXPLAINER is None:
            raise RuntimeError("no explainer installed: import calcitrack (calcitrack.explanation)")
        return _EXPLAINER(self, lang, audience)


Explainer = Callable[[Analysis, str, str], str]
"""(analysis, lang, audience) -> plain text."""
_EXPLAINER: Explainer | None = None


def install_explainer(explainer: Explainer) -> None:
    """Make :meth:`Analysis.explanation` call ``explainer`` (``calcitrack/__init__.py`` installs
    :func:`calcitrack.explanation`): models import nothing but the standard library and pydantic."""
    global _EXPLAINER
    _EXPLAINER = explainer


def json_schemas() -> dict[str, Any]:
    """JSON Schemas of the public models, for `calcitrack schema` and for API clients."""
    models: dict[str, type[BaseModel]] = {
        "Analysis": Analysis,
        "Finding": Finding,
        "Lesion": Lesion,
        "Assessment": Assessment,
        "PatientContext": PatientContext,
    }
    return {
        "schema_version": SCHEMA_VERSION,
        "schemas": {name: model.model_json_schema() for name, model in models.items()},
    }


SizeMM = Annotated[float, Field(gt=0, le=1000)]
