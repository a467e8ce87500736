import json
import os
import stat

from conftest import DATA, run_script

from bbreport.nsys import PROJ_COLUMNS, SUM_COLUMNS, phase_times, read_table, split_range

NSYS_DIR = os.path.join(DATA, "nsys")


def _read(name, cols):
    with open(os.path.join(NSYS_DIR, name)) as f:
        return read_table(f.read(), cols)


def test_read_table_skips_progress_lines():
    rows = _read("nvtx_gpu_proj_sum.csv", PROJ_COLUMNS)
    assert len(rows) == 9
    assert rows[1]["Range"] == "bridgebench:bwd_cp" and rows[1]["Total Proj Time (ns)"] == "11000000"
    assert len(_read("nvtx_sum.csv", SUM_COLUMNS)) == 4


def test_read_table_stops_at_next_report_and_requires_header():
    text = ("Processing [x.sqlite] with [nvtx_sum.py]...\n"
            "Time (%),Total Time (ns),Instances,Style,Range\n"
            "100.0,5,1,PushPop,bridgebench:fwd_comm\n"
            "\n"
            "Processing [x.sqlite] with [other.py]...\nName,Total Time (ns)\nk,1\n")
    assert [r["Range"] for r in read_table(text, SUM_COLUMNS)] == ["bridgebench:fwd_comm"]
    try:
        read_table("Name,Total Time (ns)\nk,1\n", PROJ_COLUMNS)
    except ValueError as e:
        assert "Range" in str(e)
    else:
        raise AssertionError("accepted a table without the needed columns")


def test_split_range():
    assert split_range("bridgebench:fwd_comm") == ("bridgebench", "fwd_comm")
    assert split_range(":cp_shard") == ("", "cp_shard")
    assert split_range("bwd_cp") == ("", "bwd_cp")


def test_phase_times_from_sample_csv():
    t = phase_times(_read("nvtx_gpu_proj_sum.csv", PROJ_COLUMNS), _read("nvtx_sum.csv", SUM_COLUMNS))
    # schema order, outer config range and other domains' ranges left out
    assert list(t) == ["fwd_local", "fwd_comm", "cp_shard", "cp_adjoint", "bwd_cp", "bwd_local"]
    assert t["fwd_comm"]["gpu_proj_avg_ms"] == 0.25          # NCCL:fwd_comm (999 ms) ignored
    assert t["fwd_comm"]["gpu_proj_med_ms"] == 0.249
    assert t["fwd_comm"]["range_avg_ms"] == 0.28
    assert t["bwd_cp"]["gpu_proj_total_ms"] == 11.0 and t["bwd_cp"]["instances"] == 20
    # two rows for one phase (two processes): summed, no single median left
    assert t["bwd_local"]["instances"] == 40 and abs(t["bwd_local"]["gpu_proj_avg_ms"] - 0.116) < 1e-12
    assert t["bwd_local"]["gpu_proj_med_ms"] is None and t["bwd_local"]["gpu_ops"] == 80
    assert t["cp_shard"]["range_avg_ms"] is None              # absent from nvtx_sum


def test_nsys_phases_cli(tmp_path):
    out = tmp_path / "p.json"
    res = run_script("nsys_phases.py", os.path.join(NSYS_DIR, "nvtx_gpu_proj_sum.csv"),
                     "--sum", os.path.join(NSYS_DIR, "nvtx_sum.csv"), "--json", out)
    assert res.returncode == 0, res.stderr
    assert "| fwd_comm | 20 | 0.2500 | 0.2490 | 5.000 | 20 | 0.2800 |" in res.stdout
    assert json.loads(out.read_text())["bwd_cp"]["gpu_proj_avg_ms"] == 0.55
    res = run_script("nsys_phases.py", os.path.join(NSYS_DIR, "nvtx_gpu_proj_sum.csv"),
                     "--domain", "elsewhere")
    # ranges without a domain still count, those of another domain do not
    assert res.returncode == 0 and "bwd_cp" not in res.stdout and "cp_shard" in res.stdout


def test_sweep_without_nsys_exits_3(tmp_path):
    env = dict(os.environ, NSYS=str(tmp_path / "no-such-nsys"))
    res = run_script("nsys_sweep.sh", "-o", tmp_path / "p", "--", "true", env=env)
    assert res.returncode == 3
    assert "not installed" in res.stderr and "gpu_busy_ms" in res.stderr
    assert not list(tmp_path.iterdir())


def test_sweep_pipeline_with_fake_nsys(tmp_path):
    """A stand-in nsys records its arguments and drops the sample CSVs where nsys stats would."""
    fake = tmp_path / "nsys"
    log = tmp_path / "calls.log"
    fake.write_text(f"""#!/usr/bin/env bash
echo "$*" >> {log}
prev=
for a in "$@"; do
  if [ "$prev" = -o ] || [ "$prev" = --output ]; then out=$a; fi
  prev=$a
done
case "$1" in
  profile) touch "$out.nsys-rep" ;;
  stats) cp {NSYS_DIR}/nvtx_gpu_proj_sum.csv "${{out}}_nvtx_gpu_proj_sum.csv"
         cp {NSYS_DIR}/nvtx_sum.csv "${{out}}_nvtx_sum.csv" ;;
esac
""")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    prefix = tmp_path / "prof" / "run1"
    res = run_script("nsys_sweep.sh", "-o", prefix, "--", "./bridge_bench", "--layouts", "seeds",
                     env=dict(os.environ, NSYS=str(fake)))
    assert res.returncode == 0, res.stderr
    profile, stats_call = log.read_text().splitlines()
    assert profile.startswith("profile --trace=cuda,nvtx,osrt --capture-range=none")
    assert profile.endswith(f"-o {prefix} ./bridge_bench --layouts seeds --mode=profile --cupti=off")
    assert "--report nvtx_gpu_proj_sum --report nvtx_sum" in stats_call and "--format csv" in stats_call
    assert "| bwd_cp | 20 | 0.5500 |" in res.stdout
    assert json.loads((tmp_path / "prof" / "run1_phases.json").read_text())["fwd_local"]
    assert (tmp_path / "prof" / "run1_phases.md").read_text() == res.stdout
