"""Load and validate the per-language lexicon (``lexicon.<lang>.yaml`` of the KB directory).

The lexicon is data, not code: synonyms, organ cues, qualifier triggers and recommendation cues all
live in YAML so that adding a word needs no code change. The pydantic schema below rejects a typo
(unknown key, invalid regular expression, unknown organ or pattern) at load time, with the file named,
rather than letting it silently weaken extraction.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from calcitrack.errors import InputError
from calcitrack.kb.loader import DATA_DIR, lexicon_path
from calcitrack.models import CHARACTERISATIONS, Organ, Pattern, Section

LEXICON_DIR = DATA_DIR
"""Where the packaged lexicons are; the reader's own come from :func:`calcitrack.kb.loader.lexicon_path`."""
LANGS: tuple[Literal["en", "fr"], ...] = ("en", "fr")
FLAGS = re.IGNORECASE | re.UNICODE


def _check_regex(value: str) -> str:
    """A valid regular expression written in lower case (it also runs on lower-cased text)."""
    try:
        re.compile(value, FLAGS)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {value!r}: {exc}") from exc
    if any(c.isupper() and (i == 0 or value[i - 1] != "\\") for i, c in enumerate(value)):
        raise ValueError(f"write regular expressions in lower case: {value!r}")
    return value


def fold(text: str) -> str:
    """Lower-cased ``text`` with the same length (offsets stay valid).

    Whole-report scans run case-sensitive patterns on this: Python's case-insensitive matching is several
    times slower. The rare characters whose lower case is longer ("İ") are left as they are.
    """
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TargetSpec(_Strict):
    """One family of target words ("calcification", "phlebolith", "lithiase" ...)."""

    id: str
    regex: str
    term_class: Literal["calcif", "calcinosis", "phlebolith", "echogenic", "lithiase"]
    exclude: list[str] = Field(default_factory=list, description="lower-case substrings that disqualify a word")
    lesion: bool = False
    mass_noun: bool = False
    organ: Organ | None = None
    site: str | None = None
    require_organ: list[Organ] = Field(default_factory=list)
    require_site: list[str] = Field(default_factory=list, description="the placement's site must be one of these")
    pattern: Pattern | None = Field(default=None, description="the pattern the term itself names (ductal stones)")
    require_context: str | None = None
    disease_after: str | None = Field(default=None, description="words after the anchor that make it a disease noun")
    supporting: bool = Field(
        default=False,
        description="a disease or stone noun: a mention only when no other mention describes its lesion",
    )

    _re = field_validator("regex", "require_context", "disease_after")(lambda v: v if v is None else _check_regex(v))


class OrganCue(_Strict):
    regex: str
    site: str | None = None
    detail: str | None = None
    weak: bool = Field(default=False, description="a generic descriptor that any other cue of the sentence overrides")
    also: Organ | None = Field(default=None, description="a cue naming two organs ('hepatosplenic'): the second")
    requires: str | None = Field(
        default=None, description="an ambiguous cue ('right lobe') counts only when this also occurs in the sentence"
    )

    _re = field_validator("regex", "requires")(lambda v: v if v is None else _check_regex(v))


class CharacterisationCue(_Strict):
    """Words by which the radiologist characterises a calcification ("consistent with a granuloma")."""

    regex: str
    near: bool = Field(default=False, description="only in the anchor's own noun phrase (size adjectives)")

    _re = field_validator("regex")(_check_regex)


class PrefixPattern(_Strict):
    regex: str
    pattern: Pattern

    _re = field_validator("regex")(_check_regex)


class SectionSpec(_Strict):
    regex: str
    section: Section
    historical: bool = False

    _re = field_validator("regex")(_check_regex)


class QualifierTerms(_Strict):
    """Trigger lists of one EDS-NLP qualifier, by EDS-NLP's own categories."""

    pseudo: list[str] = Field(default_factory=list)
    preceding: list[str] = Field(default_factory=list)
    following: list[str] = Field(default_factory=list)
    termination: list[str] = Field(default_factory=list)
    verbs_preceding: list[str] = Field(default_factory=list)
    verbs_following: list[str] = Field(default_factory=list)


class HistoryTerms(_Strict):
    history: list[str] = Field(default_factory=list)
    termination: list[str] = Field(default_factory=list)


class ContextSpec(_Strict):
    history_cue: str
    negation_cue: str
    scope_cue: str
    cancer: str
    cancer_sites: dict[str, str]
    flags: dict[str, str]
    prior_liver_treatment: dict[str, str]
    age: str
    age_months: str | None = None
    negation_after: str | None = None
    screening: str | None = None
    family: str | None = None
    """A relative named in the sentence: the cancer is the relative's ("breast cancer in her maternal aunt")."""
    female: str
    male: str

    @field_validator("history_cue", "negation_cue", "scope_cue", "cancer", "age", "age_months", "negation_after",
                     "screening", "family", "female", "male")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        return None if value is None else _check_regex(value)

    @field_validator("cancer_sites", "flags", "prior_liver_treatment")
    @classmethod
    def _regex_map(cls, value: dict[str, str]) -> dict[str, str]:
        for item in value.values():
            _check_regex(item)
        return value


class RecommendationSpec(_Strict):
    trigger: str
    no_followup: str
    conditional: str
    hedged: str
    modalities: dict[str, str]
    interval: str
    interval_words: dict[str, str]

    @field_validator("trigger", "no_followup", "conditional", "hedged", "interval")
    @classmethod
    def _regex(cls, value: str) -> str:
        return _check_regex(value)


class AbsentBefore(_Strict):
    """"not present on the prior study": absence *before* means new, not negated (phrases are combined)."""

    cues: list[str] = Field(default_factory=list)
    places: list[str] = Field(default_factory=list)

    def phrases(self) -> list[str]:
        return [f"{cue} {place}" for cue in self.cues for place in self.places]


class PairedStems(_Strict):
    """Stems that admit a report to the pipeline only when one of ``with_`` also occurs in it."""

    stems: list[str] = Field(min_length=1)
    with_: list[str] = Field(min_length=1, alias="with")


class Lexicon(_Strict):
    """Everything the reader needs to know about one language."""

    lang: Literal["en", "fr"]
    version: str
    stems: list[str] = Field(min_length=1)
    paired_stems: list[PairedStems] = Field(default_factory=list)
    targets: list[TargetSpec] = Field(min_length=1)
    negating_prefix: str
    negating_word_before: str
    definite_determiners: str
    negative_sentence: str
    episode_sentence: str
    later_episode: str
    alternative_before: str
    prefix_patterns: list[PrefixPattern] = Field(default_factory=list)
    organs: dict[Organ, list[OrganCue]]
    joints: dict[str, str]
    segments: list[str]
    liver_sites: dict[str, str] = Field(default_factory=dict)
    regions: dict[str, str] = Field(
        default_factory=dict, description="body regions of a soft-tissue finding away from a joint ('thigh')")
    duct_sides: dict[str, str] = Field(
        default_factory=dict, description="intrahepatic duct site refined by a side word of the target's clause")
    pattern_negation_before: str = Field(default=r"$^", description="a pattern word denied ('no peripheral rim')")
    segment_range: str = Field(default=r"$^", description="after a segment number: another one ('VII-VIII')")
    graded_number: str = Field(
        default=r"$^", description="a number that grades or classes, not counts ('LI-RADS 5', 'Bosniak 2', 'stade 3')"
    )
    sections: list[SectionSpec]
    units: dict[str, float]
    dimension_separators: str
    number_words: dict[str, int]
    count_single: str
    count_multiple: str
    lesion_nouns: str
    patterns: dict[Pattern, str]
    shadow_positive: str
    shadow_negative: str
    dilatation_positive: str
    dilatation_negative: str
    mass_positive: str
    mass_negative: str
    interval_change: dict[str, str]
    negation: QualifierTerms
    hypothesis: QualifierTerms
    history: HistoryTerms
    context: ContextSpec
    recommendation: RecommendationSpec
    characterisations: dict[str, CharacterisationCue] = Field(default_factory=dict)
    characterisation_breaks: str = r"[,;:()]"
    characterisation_negation: str = r"\bno\b"
    characterisation_followup: str = r"$^"
    characterisation_coordinators: str = r"$^"
    part_nouns: str = Field(default=r"$^", description="parts of a lesion (wall, rim, paroi): not another object")
    primary_before: str = r"$^"
    primary_link: str = r"$^"
    primary_after: str = r"$^"
    distant_before: str = r"$^"
    beside_before: str = Field(
        default=r"$^", description="words before an out-of-scope structure named as a landmark ('adjacent to the')"
    )
    same_lesion_link: str = r"$^"
    still_present: str = Field(default=r"$^", description="the finding is current despite a history cue")
    past_event: str = Field(default=r"$^", description="a dated past event of the finding itself (history sections)")
    prior_exam: str = Field(default=r"$^", description="the finding's clause places it on an earlier examination")
    current_state: str = Field(default=r"$^", description="the sentence describes the finding as it is today")
    followup_cue: str = Field(default=r"$^", description="the finding is the current problem being followed up")
    gone_now: str = Field(default=r"$^", description="the sentence says the finding is no longer there today")
    landmark_before: str = Field(
        default=r"$^", description="words before a structure named as a landmark beside the finding, any organ"
    )
    alternative_cue_before: str = Field(
        default=r"$^", description="words before a structure offered as another reading of the finding ('or a vessel')"
    )
    earlier_size_before: str = Field(default=r"$^", description="words before an earlier exam's measurement")
    earlier_size_after: str = Field(default=r"$^", description="words after an earlier exam's measurement ('en 2024')")
    referral_cue: str = Field(default=r"$^", description="the history gives an outside exam as the reason for today's")
    comparison_label: str = Field(default=r"$^", description="a line's opening label that names the comparison exam")
    absent_today: str = Field(
        default=r"$^", description="a present-tense denial: the finding is absent on today's exam ('no longer seen')"
    )
    bare_noun_blockers: str = Field(
        default=r"the", description="words before a bare singular noun that make it a mass noun or anaphora"
    )
    clause_negation: str = Field(default=r"$^", description="a negation cue inside the target's own clause")
    affirmed_after: str = Field(default=r"$^", description="a predicate of presence right after the target")
    absent_before: AbsentBefore = Field(default_factory=lambda: AbsentBefore())
    absent_before_regex: str = Field(default=r"$^", description="after the target: absent on an earlier exam (new)")
    new_entity_lead: str = Field(
        default=r"$^", description="a clause opening that introduces a new object (coordinator + indefinite determiner)"
    )
    denied_after: str = Field(
        default=r"$^", description="a piece after a comma that says the finding is not there (post-posed denial)"
    )
    history_lead: str = Field(
        default=r"$^", description="a sentence opening that states the patient's history ('History of', 'ATCD de')"
    )
    change_denied_before: str = Field(
        default=r"$^", description="the end of the text before a growth or shrinkage word that denies it ('has not')"
    )
    size_owner_before: str = Field(
        default=r"$^", description="words just before a measurement that make it a duct's or a wall's"
    )
    denied_structure_before: str = Field(
        default=r"$^", description="a denial just before an organ word ('pas de dilatation des voies biliaires')"
    )
    contrast_break: str = Field(
        default=r";", description="a break that opens a contrasting part of a sentence ('; ', 'but', 'mais', 'hormis')"
    )
    shape_after: str = Field(
        default=r"$^", description="after an organ word (matched there, no ^): a shape, not a place ('plaque-like')"
    )
    possibility_after: str = Field(
        default=r"$^", description="right after a diagnosis word: it is only not excluded ('cannot be excluded')"
    )
    organ_size_before: str = Field(
        default=r"$^", description="words just before a measurement that make it the organ's span ('rate de 11 cm')"
    )
    stopwords: list[str] = Field(min_length=5)

    @field_validator(
        "negating_prefix", "negating_word_before", "definite_determiners", "alternative_before", "negative_sentence",
        "episode_sentence", "later_episode",
        "dimension_separators", "count_single", "count_multiple", "lesion_nouns",
        "shadow_positive", "shadow_negative", "dilatation_positive", "dilatation_negative", "mass_positive",
        "mass_negative", "characterisation_breaks", "characterisation_negation", "characterisation_followup",
        "characterisation_coordinators", "part_nouns",
        "size_owner_before", "primary_before", "primary_link", "primary_after", "distant_before", "same_lesion_link",
        "clause_negation", "affirmed_after", "bare_noun_blockers", "past_event", "prior_exam", "current_state",
        "followup_cue", "gone_now", "absent_today", "comparison_label", "referral_cue", "earlier_size_before",
        "alternative_cue_before", "landmark_before", "earlier_size_after", "still_present", "absent_before_regex",
        "pattern_negation_before", "segment_range",
        "new_entity_lead", "denied_after", "history_lead", "graded_number", "beside_before", "change_denied_before",
        "organ_size_before", "denied_structure_before", "contrast_break",
        "shape_after", "possibility_after",
    )
    @classmethod
    def _regex(cls, value: str) -> str:
        return _check_regex(value)

    @field_validator("segments")
    @classmethod
    def _regex_list(cls, value: list[str]) -> list[str]:
        for item in value:
            _check_regex(item)
        return value

    @field_validator("patterns", "joints", "interval_change", "liver_sites", "regions", "duct_sides")
    @classmethod
    def _regex_map(cls, value: dict[str, str]) -> dict[str, str]:
        for item in value.values():
            _check_regex(item)
        return value

    @field_validator("characterisations")
    @classmethod
    def _known_labels(cls, value: dict[str, CharacterisationCue]) -> dict[str, CharacterisationCue]:
        unknown = sorted(set(value) - set(CHARACTERISATIONS))
        if unknown:
            raise ValueError(f"unknown characterisation label(s) {', '.join(unknown)}; see models.CHARACTERISATIONS")
        return value

    @field_validator("stems")
    @classmethod
    def _lower_stems(cls, value: list[str]) -> list[str]:
        return [stem.lower() for stem in value]


def load_lexicon_file(path: Path) -> Lexicon:
    """Read and validate one lexicon file; errors name the file and the offending key."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"{path.name}: cannot read lexicon: {exc}") from exc
    try:
        return Lexicon.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{path.name}: invalid lexicon at {where}: {first['msg']}") from exc


@cache
def get_lexicon(lang: str) -> Lexicon:
    """The lexicon of a language, loaded once per process from the KB directory (``CALCITRACK_KB_DIR`` or the
    packaged data; :func:`calcitrack.kb.loader.lexicon_path`).

    Once per process, like the settings it follows: the reader compiles and caches its patterns per
    language, so a lexicon cannot change under a running process.
    """
    if lang not in LANGS:
        raise InputError(f"unsupported language {lang!r}; expected one of {', '.join(LANGS)}")
    return load_lexicon_file(lexicon_path(lang))
