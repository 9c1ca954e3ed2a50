#!/usr/bin/env python3
"""Validate cases_twins.jsonl (or any case file in the same format).

Checks: JSON shape, ids, text[start:end] == anchor, occ (0-based index among the case-sensitive
occurrences of the anchor in the full text), findings sorted and non-overlapping, allowed values
of organ / action / lang / count / booleans, negated mentions without size/count/pattern, and
coverage: every calcif / calcinos / phlebolith word in the text lies inside an annotated anchor
(lithiase and hyperechoic/echogenic words that are not annotated are only reported as notes,
since the guidelines annotate them only in some contexts).

Usage: python3 validate.py [cases_twins.jsonl]   -> prints "ok" on success
"""
import json, os, re, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ORGANS = {"liver", "biliary", "spleen", "soft_tissue", "other"}
ACTIONS = {"out_of_scope", "no_followup", "surveillance", "workup", "urgent", None}
LANGS = {"en", "fr"}
TERM_CLASSES = {"calcif", "calcinosis", "phlebolith", "echogenic", "lithiase", None}
FINDING_KEYS = ["anchor", "occ", "start", "end", "organ", "organ_detail", "negated", "uncertain",
                "historical", "size_mm", "count", "site", "pattern"]
DOC_KEYS = ["id", "lang", "twin_of", "text", "findings", "action", "rule", "why"]
STRICT = re.compile(r"\w*(?:calcif|calcinos|phl[eé]bolith)\w*", re.I)
SOFT = re.compile(r"\w*lithiase\w*|hyper[ée]ch\w*|echogenic", re.I)


def occurrences(text, anchor):
    out, i = [], text.find(anchor)
    while i != -1:
        out.append(i)
        i = text.find(anchor, i + 1)
    return out


def check_value(allowed, v):
    if isinstance(v, list):
        return len(v) >= 2 and all(x in allowed and x is not None for x in v)
    return v in allowed


def validate(path):
    errors, notes, ids = [], [], set()
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
        except ValueError as e:
            errors.append(f"line {n}: bad JSON ({e})")
            continue
        did = d.get("id", f"line {n}")
        for k in DOC_KEYS:
            if k not in d:
                errors.append(f"{did}: missing key {k}")
        if errors and any(e.startswith(f"{did}: missing") for e in errors):
            continue
        if did in ids:
            errors.append(f"{did}: duplicate id")
        ids.add(did)
        if d["lang"] not in LANGS:
            errors.append(f"{did}: lang {d['lang']!r}")
        m = re.fullmatch(r"t-(en|fr)-(\d\d)", did)
        src = re.fullmatch(r"g-(en|fr)-(\d\d)", d["twin_of"] or "")
        if not m or m.group(1) != d["lang"]:
            errors.append(f"{did}: id must be t-<lang>-NN with lang {d['lang']}")
        if not src or (m and (src.group(2) != m.group(2) or src.group(1) == m.group(1))):
            errors.append(f"{did}: twin_of {d['twin_of']!r} must be the other-language g-<lang>-NN")
        if not check_value(ACTIONS, d["action"]):
            errors.append(f"{did}: action {d['action']!r}")
        if not isinstance(d["rule"], str) or not d["rule"]:
            errors.append(f"{did}: rule must be a non-empty string")
        if not isinstance(d["why"], str) or not d["why"]:
            errors.append(f"{did}: why must be a non-empty string")
        text, last_end, spans = d["text"], -1, []
        for f in d["findings"]:
            a = f.get("anchor")
            tag = f'{did}: "{a}"#{f.get("occ")}'
            for k in FINDING_KEYS:
                if k not in f:
                    errors.append(f"{tag}: missing {k}")
            if any(k not in f for k in ("anchor", "occ", "start", "end")):
                continue
            if text[f["start"]:f["end"]] != a:
                errors.append(f"{tag}: text[{f['start']}:{f['end']}]={text[f['start']:f['end']]!r} != anchor")
            occ = occurrences(text, a)
            if f["start"] not in occ:
                errors.append(f"{tag}: start {f['start']} is not an occurrence of the anchor")
            elif occ.index(f["start"]) != f["occ"]:
                errors.append(f"{tag}: occ should be {occ.index(f['start'])}")
            if f["start"] < last_end:
                errors.append(f"{tag}: findings not sorted by start or overlapping")
            last_end = f["end"]
            spans.append((f["start"], f["end"]))
            if not check_value(ORGANS, f.get("organ")):
                errors.append(f"{tag}: organ {f.get('organ')!r}")
            for k in ("negated", "uncertain", "historical"):
                if f.get(k) not in (True, False, None):
                    errors.append(f"{tag}: {k} {f.get(k)!r}")
            if f.get("negated") is None:
                errors.append(f"{tag}: negated must be true or false")
            s = f.get("size_mm")
            if s is not None and (not isinstance(s, (int, float)) or isinstance(s, bool) or s <= 0):
                errors.append(f"{tag}: size_mm {s!r}")
            c = f.get("count")
            if not (c is None or c in ("single", "multiple") or (isinstance(c, int) and not isinstance(c, bool) and c > 0)):
                errors.append(f"{tag}: count {c!r}")
            if f.get("negated") and any(f.get(k) is not None for k in ("size_mm", "count", "pattern")):
                errors.append(f"{tag}: negated mention must have size_mm, count and pattern null")
            if f.get("organ") == "other" and f.get("site") is not None:
                errors.append(f"{tag}: site is only for in-scope organs (use organ_detail)")
            if f.get("term_class", None) not in TERM_CLASSES:
                errors.append(f"{tag}: term_class {f.get('term_class')!r}")
        covered = lambda s, e: any(a <= s and e <= b for a, b in spans)
        for w in STRICT.finditer(text):
            if not covered(w.start(), w.end()):
                errors.append(f"{did}: unannotated candidate {w.group()!r} at {w.start()}")
        for w in SOFT.finditer(text):
            if not covered(w.start(), w.end()):
                notes.append(f"{did}: not annotated (check it is excluded by rule): {w.group()!r} at {w.start()}")
    src = "/work/shared/corpus/gold/cases_dev.jsonl"
    if os.path.exists(src):  # twins keep the source case's expected action and rule
        gold = {json.loads(l)["id"]: json.loads(l) for l in open(src, encoding="utf-8") if l.strip()}
        for l in open(path, encoding="utf-8"):
            if not l.strip():
                continue
            d = json.loads(l)
            g = gold.get(d.get("twin_of"))
            if g is None:
                errors.append(f"{d.get('id')}: twin_of {d.get('twin_of')!r} not in cases_dev")
            elif (g.get("action"), g.get("rule")) != (d.get("action"), d.get("rule")):
                errors.append(f"{d.get('id')}: action/rule differ from {g['id']}")
    return errors, notes, len(ids)


if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "cases_twins.jsonl")
    errors, notes, n = validate(path)
    for x in notes:
        print("note:", x)
    if errors:
        print("\n".join(errors))
        print(f"{len(errors)} error(s) in {n} cases")
        sys.exit(1)
    print(f"{n} cases")
    print("ok")
