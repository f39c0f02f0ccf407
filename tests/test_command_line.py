"""The command line refuses bad input before any work, with a sentence that says what to give instead;
an interrupted class says in one line what was saved.

The argument checks are fast; the empty folder and Ctrl-C start the grade command for real (kernel tier).
"""
import os
import signal
import subprocess
import sys
import time

import pytest

from autograder.__main__ import main
from autograder.course import layout, synthetic_submissions


@pytest.mark.parametrize("option, value, said", [
    ("--workers", "0", "0 is not a positive number"),
    ("--workers", "-1", "-1 is not a positive number"),
    ("--cell-timeout", "-5", "-5 is not a positive number"),
    ("--wall-timeout", "0", "0 is not a positive number"),
    ("--memory-gb", "0", "'none' to grade without a memory cap"),
    ("--memory-gb", "lots", "not a number of GB"),
])
def test_bad_limits_are_refused_before_any_work(tmp_path, capsys, option, value, said):
    with pytest.raises(SystemExit) as stopped:
        main(["grade", layout.ASSIGNMENT, str(tmp_path), "--out", str(tmp_path / "out"), option, value])
    assert stopped.value.code == 2 and said in capsys.readouterr().err
    assert not (tmp_path / "out").exists(), "work started"


def test_no_memory_cap_is_asked_for_by_name():
    from autograder.__main__ import memory_cap
    assert memory_cap("none") == 0.0 and memory_cap("2.5") == 2.5


def test_version_and_help_say_what_they_should(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0 and capsys.readouterr().out.startswith("python -m autograder ")
    with pytest.raises(SystemExit):
        main(["grade", "--help"])
    text = capsys.readouterr().out
    text = " ".join(text.split())  # argparse wraps lines
    assert "exit codes:" in text and "130 interrupted" in text and "Run it as root" in text


@pytest.mark.kernel
def test_an_empty_folder_is_refused_with_a_sentence(tmp_path, capsys, mnist_available):
    (tmp_path / "empty").mkdir()
    assert main(["grade", layout.ASSIGNMENT, str(tmp_path / "empty"), "--out", str(tmp_path / "out")]) == 2
    assert "holds no submission of task4_1: nothing to grade" in capsys.readouterr().err


@pytest.mark.kernel
def test_ctrl_c_says_in_one_line_what_was_saved_and_how_to_go_on(tmp_path, mnist_available):
    reference = synthetic_submissions.build(synthetic_submissions.reference_answers())
    for number in range(6):
        synthetic_submissions.write(reference, layout.student_notebook(tmp_path / "class", "submitted", f"s{number}"))
    out = tmp_path / "out"
    grading = subprocess.Popen([sys.executable, "-m", "autograder", "grade", layout.ASSIGNMENT,
                                str(tmp_path / "class" / "submitted"), "--out", str(out), "--workers", "1"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                               # as from a terminal: a test run started in the background (`make test &`)
                               # ignores SIGINT, and children inherit that
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 300
    while not list((out / "results").glob("*.json")) and time.monotonic() < deadline and grading.poll() is None:
        time.sleep(0.2)
    os.killpg(grading.pid, signal.SIGINT)  # what the terminal does on Ctrl-C: the whole foreground group
    stdout, stderr = grading.communicate(timeout=120)
    assert grading.returncode == 130, stderr[-2000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    said = [line for line in stderr.splitlines() if line.startswith("interrupted:")]
    assert len(said) == 1 and "run the same command again" in said[0], stderr[-2000:]
    saved = len(list((out / "results").glob("*.json")))
    assert f"{saved} result" in said[0]
