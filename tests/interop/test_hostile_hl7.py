"""Hostile HL7 v2: a fixed corpus of malformed ORU^R01 files and Hypothesis mutations of a valid message,
through the parser (``parse_oru``/``ack_for_error``) and through a real MLLP listener writing to a real
registry.

Goal: every message gets an ACK - AA, or AE/AR whose text names the problem - never an exception, never
a dropped connection; after all the abuse the listener still accepts a good message on the same
connection. Why both layers: the parser is where a bad field is named; the listener is where a framing
trick or an oversized frame could stall or kill the service.
"""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from tests.reliability import Recorder, scale

from calcitrack.interop.hl7v2 import Hl7Error, ack_for_error, parse_oru, split_messages
from calcitrack.interop.mllp import END, START, ListenerThread, MllpServer, frame, read_frame, registry_handler

pytestmark = pytest.mark.reliability

CORPUS = Path(__file__).parent / "data" / "hostile"
GOOD = ("MSH|^~\\&|RIS|HOSP|CALCITRACK|HOSP|20260105103000||ORU^R01^ORU_R01|MSG-OK|P|2.5\r"
        "PID|1||PX-HL7-FUZZ^^^HOSP^MR||DOE^JANE\r"
        "OBR|1|PL-1|ACC-FUZZ|CTABD^CT ABDOMEN^L|||20260105101500\r"
        "OBX|1|TX|&GDT||Findings: 6 mm calcification in segment VII of the liver.||||||F\r")
MAX_BYTES = 200_000
INTERNAL = "internal error"


def corpus() -> list[tuple[str, bytes]]:
    files = sorted((p.name, p.read_bytes()) for p in CORPUS.glob("*.hl7"))
    assert len(files) >= 30, "the hostile corpus is missing"
    return files


def ack_fields(ack: str) -> tuple[str, str]:
    """(MSA-1 code, the reason: ERR-8, else MSA-3) of an ACK."""
    segments = {line.split("|", 1)[0]: line.split("|") for line in ack.split("\r") if line}
    msa = segments["MSA"]
    reason = segments["ERR"][8] if "ERR" in segments and len(segments["ERR"]) > 8 else (msa[3] if len(msa) > 3 else "")
    return msa[1], reason


def parser_ack(raw: bytes | str) -> tuple[str, str]:
    """The ACK the parser layer produces for one message: AA when it parses, else AE/AR with a reason."""
    try:
        parsed = parse_oru(raw)
    except Hl7Error as exc:
        code, reason = ack_fields(ack_for_error(raw, exc))
        assert code in ("AE", "AR") and reason.strip(), (code, reason)
        return code, reason
    assert parsed.reports and all(r.text and r.patient_id for r in parsed.reports)
    return "AA", ""


@pytest.fixture
def listener(engine: Engine) -> Iterator[int]:
    thread = ListenerThread(MllpServer(registry_handler(engine), port=0, max_bytes=MAX_BYTES))
    port = thread.start()
    yield port
    thread.stop()


def _exchange(sock: socket.socket, payload: bytes) -> tuple[str, str]:
    sock.sendall(frame(payload))
    return ack_fields(read_frame(sock))


def test_hostile_corpus_through_the_parser_and_the_listener(listener: int, reliability: Recorder) -> None:
    files = corpus()
    codes: Counter[str] = Counter()
    with socket.create_connection(("127.0.0.1", listener), timeout=60) as sock:
        for name, raw in files:
            parser_ack(raw)
            for message in split_messages(raw) or [""]:
                parser_ack(message)
            # Framing bytes inside a file (nested/embedded frames, binary noise) would split it into several
            # frames and several ACKs; the raw framing abuse is tested on its own below.
            payload = raw.replace(START, b" ").replace(END, b" \r")
            code, reason = _exchange(sock, payload)
            assert code in ("AA", "AE", "AR"), name
            if code != "AA":
                assert reason.strip() and INTERNAL not in reason, (name, reason)
            codes[code] += 1
        # Raw framing abuse on the same connection: a start block inside a frame, noise between frames,
        # an oversized frame; each is answered and the connection survives.
        sock.sendall(START + b"MSH|^~\\&|X|Y|||20260101||ORU^R01|CUT-1|P|2.5\rPID|1||P" + START
                     + GOOD.encode() + END)
        cut_code, cut_reason = ack_fields(read_frame(sock))
        ok_code, _ = ack_fields(read_frame(sock))
        assert cut_code == "AR" and "incomplete" in cut_reason and ok_code == "AA"
        sock.sendall(b"noise outside any frame\x00\xff" + frame(GOOD.replace("MSG-OK", "MSG-OK2")))
        assert ack_fields(read_frame(sock))[0] == "AA"
        huge = GOOD + "OBX|2|TX|&GDT||" + "calcification 5 mm. " * (MAX_BYTES // 10) + "\r"
        code, reason = _exchange(sock, huge.encode())
        assert code == "AR" and "larger than" in reason
        assert _exchange(sock, GOOD.replace("MSG-OK", "MSG-FINAL").encode())[0] == "AA"
    reliability.row(
        area="fuzzing", check="Malformed HL7 v2 corpus through the parser and the MLLP listener",
        inputs=f"{len(files)} hostile files (tests/interop/data/hostile) + 3 framing attacks + a "
               f"{len(huge) // 1000} kB message, one connection",
        result=f"0 crashes, 0 dropped connections; ACKs {dict(sorted(codes.items()))}, every AE/AR naming "
               f"the problem; listener still accepted the next good message",
    )


SEPARATORS = ["|", "^", "~", "\\", "&", "\r", "\n", "\x0b", "\x1c", "\x00", "MSH", "OBX|", "PID|", "\ufffd", "é"]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """The valid message after 1-6 random edits: delete/duplicate/shuffle segments, insert separators or
    junk, cut, replace bytes, re-encode."""
    segments = GOOD.rstrip("\r").split("\r")
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        op = draw(st.sampled_from(["drop", "dup", "swap", "insert", "cut", "replace", "field"]))
        text = "\r".join(segments)
        if op == "drop" and len(segments) > 1:
            segments.pop(draw(st.integers(0, len(segments) - 1)))
        elif op == "dup":
            i = draw(st.integers(0, len(segments) - 1))
            segments.insert(i, segments[i])
        elif op == "swap" and len(segments) > 1:
            i, j = draw(st.integers(0, len(segments) - 1)), draw(st.integers(0, len(segments) - 1))
            segments[i], segments[j] = segments[j], segments[i]
        elif op in ("insert", "cut", "replace"):
            at = draw(st.integers(0, len(text)))
            junk = draw(st.sampled_from(SEPARATORS) | st.text(max_size=8))
            if op == "insert":
                text = text[:at] + junk + text[at:]
            elif op == "cut":
                text = text[:at]
            else:
                text = text[:at] + junk + text[at + len(junk):]
            segments = text.split("\r") if text else [""]
        elif op == "field":
            i = draw(st.integers(0, len(segments) - 1))
            fields = segments[i].split("|")
            k = draw(st.integers(0, len(fields) - 1))
            fields[k] = draw(st.sampled_from(["", "X", "^^^", "~~", "2026", "99999999", "ORU^R01", "ADT^A01"]))
            segments[i] = "|".join(fields)
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "latin-1", "utf-16"]))
    return "\r".join(segments).encode(encoding, errors="replace")


def test_mutations_of_a_valid_message(listener: int, reliability: Recorder) -> None:
    parser_examples = scale(150, 2500)
    every = 5  # one mutation in five also goes through the listener (NLP + registry write per message)
    codes: Counter[str] = Counter()
    sent = 0
    with socket.create_connection(("127.0.0.1", listener), timeout=60) as sock:

        @given(raw=mutated())
        @settings(max_examples=parser_examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def run(raw: bytes) -> None:
            nonlocal sent
            code, _ = parser_ack(raw)
            codes[code] += 1
            if sum(codes.values()) % every == 0:
                sent += 1
                listener_code, reason = _exchange(sock, raw)
                assert listener_code in ("AA", "AE", "AR")
                assert listener_code == "AA" or (reason.strip() and INTERNAL not in reason), reason

        run()
        assert _exchange(sock, GOOD.replace("MSG-OK", "MSG-AFTER").encode())[0] == "AA"
    tried = sum(codes.values())
    assert codes["AE"] + codes["AR"] > 0 and codes["AA"] > 0
    reliability.row(
        area="fuzzing", check="HL7 v2 mutations of a valid ORU^R01 (Hypothesis)",
        inputs=f"{tried:,} mutated messages through the parser, {sent:,} of them also over MLLP",
        result=f"0 crashes; ACKs {dict(sorted(codes.items()))}, every AE/AR with a reason naming the "
               f"segment/field; listener kept serving",
    )
