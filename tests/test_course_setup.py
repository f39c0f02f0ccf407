"""The parts of the hub and of the grade command's course folder that need no root: roster, pins, config files."""
import json
import pathlib
import re
import stat

import pytest

from autograder.course import layout, roster
from autograder.grading import course_output
from autograder.hub import provision, runtime, server


def write(tmp_path, text):
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_roster_reads_with_one_instructor_and_names_as_written():
    people = roster.read(roster.EXAMPLE)
    assert roster.the_instructor(people, roster.EXAMPLE).username == "teacher"
    assert {p.username: (p.first_name, p.last_name) for p in roster.students(people)} == {
        "alice": ("Alice", "Zoë-Müller"), "bob": ("Bob", "O'Brien")}


def test_a_roster_without_roles_is_all_students_and_a_byte_order_mark_is_ignored(tmp_path):
    people = roster.read(write(tmp_path, "\ufeffusername,first_name,last_name\ns1,Ann,de la Cruz\n"))
    assert people == [roster.Person("s1", "Ann", "de la Cruz", "student")]


@pytest.mark.parametrize("text, names", [
    ("user,first_name,last_name\n", "missing: username"),
    ("username,first_name,last_name\nAlice,A,B\n", "line 2: username 'Alice'"),
    ("username,first_name,last_name\n../x,A,B\n", "not a safe account name"),
    ("username,first_name,last_name\n" + "a" * 33 + ",A,B\n", "at most 32"),
    ("username,first_name,last_name,role\nann,A,B,ta\n", "role 'ta' must be one of instructor, student"),
    ("username,first_name,last_name\nann,A,B\nann,C,D\n", "line 3: ann is listed twice"),
])
def test_a_bad_roster_names_the_row_and_the_fix(tmp_path, text, names):
    with pytest.raises(roster.RosterError, match=names.replace("(", r"\(").replace(".", r"\.")):
        roster.read(write(tmp_path, text))


@pytest.mark.parametrize("instructors", [0, 2])
def test_a_hub_needs_exactly_one_instructor(tmp_path, instructors):
    rows = [f"t{i},T,T,instructor" for i in range(instructors)] + ["s1,S,S,student"]
    path = write(tmp_path, "username,first_name,last_name,role\n" + "\n".join(rows) + "\n")
    with pytest.raises(roster.RosterError, match=f"found {instructors}"):
        roster.the_instructor(roster.read(path), path)


def test_the_hub_runs_the_course_pins_and_jupyterhub_but_not_the_grader_or_test_tools():
    pins = runtime.hub_requirements()
    names = {pin.split("==")[0].split("[")[0] for pin in pins}
    assert {"jupyterhub", "jupyterlab", "nbgrader", "numpy", "matplotlib", "ipykernel"} <= names
    assert not names & {"-e .", "pytest", "playwright", "distributed", "psycopg"}
    assert all("==" in pin for pin in pins), "every package of the hub is pinned"
    every = (layout.REPO / "requirements.txt").read_text()
    assert all(pin in every for pin in pins), "the hub's pins are requirements.txt's, not a second list"


def test_the_instructors_menu_link_is_a_plugin_students_servers_switch_off():
    package = json.loads((runtime.MENU_LINK / "package.json").read_text())
    source = (runtime.MENU_LINK / "index.js").read_text()
    plugin = re.search(r"id: '([^']+)'", source).group(1)
    assert plugin.split(":")[0] == package["name"] == runtime.menu_link_installed().name
    assert plugin in provision.STUDENT_HIDDEN_PLUGINS, "students must not get the instructors' menu item"
    assert not package["dependencies"], "built without JupyterLab's packages: nothing to share or pin"
    assert re.search(rf"const SERVICE = '{server.SERVICE}';", source), "the item opens the hub's grading service"


def test_the_inbound_mode_lets_students_add_but_not_list_or_remove():
    mode = provision.INBOUND_MODE
    assert mode & stat.S_IWOTH and mode & stat.S_IXOTH, "students must be able to submit"
    assert not mode & stat.S_IROTH, "students must not list other submissions"
    assert mode & stat.S_ISVTX, "students must not remove or move other submissions"
    assert not provision.FEEDBACK_MODE & stat.S_IROTH


def test_a_course_folders_own_config_is_kept_and_rules_the_late_work_policy(tmp_path):
    own = tmp_path / "nbgrader_config.py"
    own.write_text("c = get_config()\nc.LatePolicy.percent_per_day = 5.0\n")
    assert course_output.write_config(tmp_path) is False
    assert own.read_text().endswith("5.0\n")
    assert course_output.policy_config(tmp_path) == own


def test_a_plain_output_folder_gets_a_config_without_an_exchange_and_the_assignments_source(tmp_path):
    assert course_output.policy_config(tmp_path) == layout.CONFIG_FILE
    assert course_output.write_config(tmp_path) is True
    text = (tmp_path / "nbgrader_config.py").read_text()
    for action in ("list", "release_assignment", "collect", "release_feedback"):
        assert f"c.ExchangeFactory.{action} = 'autograder.nbgrader_ext.no_exchange." in text
    assert course_output.write_config(tmp_path) is True, "its own file is rewritten on the next run"
    template = tmp_path / "template"
    (template / "source" / layout.ASSIGNMENT).mkdir(parents=True)
    (template / "source" / layout.ASSIGNMENT / "x.ipynb").write_text("{}")
    course_output.ensure_source(tmp_path / "out", template, layout.TASK)
    assert (tmp_path / "out" / "source" / layout.ASSIGNMENT / "x.ipynb").is_file()
    assert not (tmp_path / "out" / "release").exists()  # the template had none to give
    (template / "release" / layout.ASSIGNMENT).mkdir(parents=True)
    (template / "release" / layout.ASSIGNMENT / "x.ipynb").write_text("{}")
    course_output.ensure_source(tmp_path / "out", template, layout.TASK)
    assert (tmp_path / "out" / "release" / layout.ASSIGNMENT / "x.ipynb").is_file()  # the report's starter code


def test_the_no_exchange_classes_list_nothing_and_refuse_the_rest_with_what_to_do():
    from nbgrader.exchange import ExchangeError

    from autograder.nbgrader_ext import no_exchange

    assert no_exchange.NoExchangeList(coursedir=None).start() == []
    with pytest.raises(ExchangeError, match="docs/hub.md"):
        no_exchange.NoExchangeReleaseAssignment(coursedir=None).start()


def test_the_hub_config_file_imports_nothing_of_this_repository():
    text = pathlib.Path(provision.__file__).with_name("jupyterhub_config.py").read_text()
    assert "autograder" not in text.split('"""', 2)[2], "JupyterHub runs where the grader is not installed"


def test_the_environment_never_builds_jsonschemas_iri_parser():
    """make setup's .pth (autograder/course/nbformat_speedup.py): plain nbgrader commands start without it."""
    import subprocess
    import sys

    probe = ("import sys, nbformat; print(sys.modules['rfc3987_syntax']); "
             "nbformat.validate(nbformat.v4.new_notebook())")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "None", done.stderr
