"""The checkpoint on disk: written atomically, read back as written, and refusing to splice two runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.batch.helpers import make_rows, write_jsonl

from calcitrack.batch.checkpoint import VERSION, Checkpoint, atomic_write, fsync_directory
from calcitrack.batch.sources import InputFormat, fingerprint
from calcitrack.errors import InputError

OPTIONS = {"format": "jsonl", "input_format": "jsonl", "chunk_size": 10, "text_column": "text",
           "id_column": "id", "lang_column": "lang", "policy": "standard", "kb_version": "k1"}


def test_atomic_write_replaces_the_whole_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    atomic_write(path, b"first version, longer than the second")
    atomic_write(path, b"second")
    assert path.read_bytes() == b"second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]
    fsync_directory(tmp_path)  # a directory can be synced (what makes the rename durable)


def test_save_then_load_gives_the_same_progress(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl.checkpoint.json"
    checkpoint = Checkpoint(input={"size": 12, "sha256": "ab"}, options=OPTIONS, chunks_done=3, items_done=30,
                            ok=28, failed=2, findings=11, out_bytes=4096, errors_bytes=120)
    checkpoint.save(path)
    on_disk = json.loads(path.read_text(encoding="utf-8"))
    assert on_disk["version"] == VERSION and on_disk["chunks_done"] == 3 and on_disk["out_bytes"] == 4096
    assert Checkpoint.load(path) == checkpoint


def test_a_checkpoint_of_another_version_or_unreadable_is_refused(tmp_path: Path) -> None:
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"input": {}, "options": {}, "version": 1}), encoding="utf-8")
    with pytest.raises(InputError, match="start the run again"):
        Checkpoint.load(old)
    torn = tmp_path / "torn.json"
    torn.write_text('{"input": {}, "opt', encoding="utf-8")
    with pytest.raises(InputError, match=r"unreadable checkpoint \(JSONDecodeError\)"):
        Checkpoint.load(torn)
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps({"input": {}, "options": {}, "version": VERSION, "surprise": 1}), encoding="utf-8")
    with pytest.raises(InputError, match=r"unreadable checkpoint \(TypeError\)"):
        Checkpoint.load(unknown)


def test_resume_refuses_a_changed_input_file(tmp_path: Path) -> None:
    """The fingerprint of a real file, then one changed character: the checkpoint names the input as changed."""
    source = write_jsonl(tmp_path / "in.jsonl", make_rows(12))
    path = tmp_path / "cp.json"
    Checkpoint(input=fingerprint(source, InputFormat.jsonl).as_dict(), options=OPTIONS).save(path)
    checkpoint = Checkpoint.load(path)
    checkpoint.check_same_run(path, fingerprint(source, InputFormat.jsonl).as_dict(), OPTIONS)  # unchanged: fine
    source.write_bytes(source.read_bytes().replace(b"r00003", b"r00004"))  # same size, other bytes
    with pytest.raises(InputError, match="the input file changed since the interrupted run"):
        checkpoint.check_same_run(path, fingerprint(source, InputFormat.jsonl).as_dict(), OPTIONS)


def test_resume_refuses_a_changed_option_and_names_it(tmp_path: Path) -> None:
    path = tmp_path / "cp.json"
    checkpoint = Checkpoint(input={"size": 1, "sha256": "x"}, options=OPTIONS)
    with pytest.raises(InputError, match=r"option chunk_size was 10, now 20"):
        checkpoint.check_same_run(path, {"size": 1, "sha256": "x"}, {**OPTIONS, "chunk_size": 20})
    with pytest.raises(InputError, match=r"option policy was 'standard', now 'seed'"):
        checkpoint.check_same_run(path, {"size": 1, "sha256": "x"}, {**OPTIONS, "policy": "seed"})
    with pytest.raises(InputError, match=r"option extra_column was None, now 'x'"):
        checkpoint.check_same_run(path, {"size": 1, "sha256": "x"}, {**OPTIONS, "extra_column": "x"})
