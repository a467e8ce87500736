"""The report says what NCCL times are (schema v4 `environment.transport`): ranks sharing one GPU
are the rehearsal (code paths, not link speed), a transport warning reaches the first screen, and
null floors (no link floor) render as '-' rather than failing."""
import copy
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))

from bbreport.schema import timing_kind, total_floor_ratio, transport_warnings  # noqa: E402

REHEARSAL = os.path.join(HERE, "..", "..", "reports", "rehearsal-h100", "np2_mpirun_timed.json")


def load():
    with open(REHEARSAL) as f:
        return json.load(f)


def test_a_shared_gpu_run_is_labelled_not_a_link_measurement():
    doc = load()
    assert doc["environment"]["transport"]["shared_gpu"] is True
    kind = timing_kind([doc])
    assert "share one GPU" in kind and "NET/Socket" in kind and "not link speed" in kind


def test_a_real_multi_gpu_run_names_its_transport_and_warns_on_sockets():
    doc = load()
    tr = doc["environment"]["transport"]
    tr["shared_gpu"] = False
    tr["warnings"] = ["NCCL moved bytes between GPUs of one host over NET/Socket"]
    assert "share one GPU" not in timing_kind([doc])
    assert "over NET/Socket" in timing_kind([doc])
    assert transport_warnings([doc, copy.deepcopy(doc)]) == tr["warnings"]  # once, not per file


def test_older_files_without_transport_keep_their_words():
    doc = load()
    del doc["environment"]["transport"]
    assert timing_kind([doc]) == "NCCL collectives on the GPUs"


def test_collective_floors_are_null_and_read_as_none():
    doc = load()
    cps = [c for c in doc["configs"] if any(p["kind"] == "collective" for p in c["phases"])]
    assert cps, "the rehearsal has configs with collectives"
    for c in cps:
        assert c["floor_ratio"] is None and c["floor_basis"].startswith("none: shared_gpu")
        assert total_floor_ratio(c) is None
