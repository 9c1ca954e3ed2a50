"""UI strings in English and French, and how a request picks its language.

Why a separate YAML next to the templates rather than the KB texts: UI labels are not clinical content;
keeping them out of ``texts.*.yaml`` keeps ``kb check`` and the explanation tests about medicine only.
The language is chosen by ``?lang=`` (which also sets a cookie), else the cookie, else Accept-Language.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from fastapi import Request

LANGS: tuple[str, ...] = ("en", "fr")
LANG_COOKIE = "ct_lang"
STRINGS_FILE = Path(__file__).parent / "i18n.yaml"


@lru_cache(maxsize=1)
def strings() -> dict[str, dict[str, str]]:
    """All UI strings, ``{key: {"en": ..., "fr": ...}}``; loaded once (the file ships with the package)."""
    with STRINGS_FILE.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    return {str(key): {lang: str(value[lang]) for lang in LANGS} for key, value in data.items()}


def translate(key: str, lang: str) -> str:
    """The string for ``key`` in ``lang``; a missing key shows as the key itself (visible, never blank)."""
    entry = strings().get(key)
    if entry is None:
        return key
    return entry.get(lang) or entry["en"]


def request_lang(request: Request) -> str:
    """The UI language of this request: query parameter, cookie, then the browser's preference."""
    asked = request.query_params.get("lang")
    if asked in LANGS:
        return asked
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in LANGS:
        return cookie
    accept = request.headers.get("accept-language", "")
    for part in accept.split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGS:
            return code
    return "en"
