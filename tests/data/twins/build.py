#!/usr/bin/env python3
"""Build cases_twins.jsonl from marked-up twin texts (mentions written as ⟦anchor⟧).

Offsets and occ are computed from the markup; attributes are given per mention in order.
Run: python3 build.py  (writes cases_twins.jsonl next to this file)
"""
import json, os, re

HERE = os.path.dirname(os.path.abspath(__file__))
MARK = re.compile(r"⟦(.+?)⟧")


def F(organ, neg=False, unc=False, hist=False, size=None, count=None, site=None, pattern=None,
      detail=None, note=None):
    return dict(organ=organ, organ_detail=detail, negated=neg, uncertain=unc, historical=hist,
                size_mm=size, count=count, site=site, pattern=pattern, note=note)


def term_class(anchor):
    a = anchor.lower()
    if "lithiase" in a:
        return "lithiase"
    if "phl" in a and "bolith" in a:
        return "phlebolith"
    if "calcinos" in a:
        return "calcinosis"
    if "calcif" in a:
        return "calcif"
    return "echogenic"


CASES = []


def case(src, lang, action, rule, why, marked, attrs, note=None):
    text, anchors, pos = "", [], 0
    for m in MARK.finditer(marked):
        text += marked[pos:m.start()]
        anchors.append((m.group(1), len(text)))
        text += m.group(1)
        pos = m.end()
    text += marked[pos:]
    assert len(anchors) == len(attrs), (src, len(anchors), len(attrs))
    findings = []
    for (anchor, start), a in zip(anchors, attrs):
        occ = 0
        i = text.find(anchor)
        while i != -1 and i < start:
            occ += 1
            i = text.find(anchor, i + 1)
        assert i == start
        f = {"anchor": anchor, "occ": occ, "start": start, "end": start + len(anchor)}
        f.update(a)
        if f["negated"]:
            assert f["size_mm"] is None and f["count"] is None and f["pattern"] is None, (src, anchor)
        f["term_class"] = term_class(anchor)
        findings.append(f)
    num = src.split("-")[-1]
    d = {"id": f"t-{lang}-{num}", "lang": lang, "twin_of": src, "text": text, "findings": findings,
         "action": action, "rule": rule, "why": why}
    if note:
        d["note"] = note
    CASES.append(d)


exec(open(os.path.join(HERE, "twins_en2fr.py"), encoding="utf-8").read())
exec(open(os.path.join(HERE, "twins_fr2en.py"), encoding="utf-8").read())

if __name__ == "__main__":
    order = {c["twin_of"]: i for i, c in enumerate(CASES)}
    with open(os.path.join(HERE, "cases_twins.jsonl"), "w", encoding="utf-8") as fh:
        for c in sorted(CASES, key=lambda c: c["twin_of"]):
            fh.write(json.dumps(c, ensure_ascii=False) + "\n")
    print(len(CASES), "twins written")
