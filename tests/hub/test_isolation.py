"""Students cannot see or touch each other's work, the instructor's course, or submit as someone else.

Every check runs as the real Unix account, with the environment the hub gives that user's server.
"""
import http.cookiejar
import os
import pwd
import re
import shutil
import stat
import time
import urllib.parse
import urllib.request

import pytest

from tests.hub.conftest import ALICE, BOB, ROSTER, STATE, TEACHER, course_root, inbound, submissions_of

PEOPLE = [row[0] for row in ROSTER]
STUDENTS = [row[0] for row in ROSTER if row[3] == "student"]


@pytest.fixture(scope="module")
def released(hub):
    hub.run_as(TEACHER, "nbgrader generate_assignment task4_1 --force && nbgrader release_assignment task4_1 --force",
               cwd=course_root())
    for student in STUDENTS:
        hub.run_as(student, "nbgrader fetch_assignment task4_1")
    return hub


def sign(hub, student, text):
    """Put ``text`` into the student's copy of the notebook (what later tells whose work was collected)."""
    hub.run_as(student, f"sed -i 's/YOUR ANSWER HERE/{text}/' task4_1/numpy_neural_network.ipynb")


def test_every_home_is_its_owners_alone(released):
    for person in PEOPLE:
        home = pwd.getpwnam(person).pw_dir
        mode = stat.S_IMODE(os.stat(home).st_mode)
        assert mode == 0o700, f"{home} is {oct(mode)}"
        for other in PEOPLE:
            if other == person:
                continue
            other_home = f"/home/{other}"
            denied = released.run_as(person, f"ls {other_home}", check=False)
            assert denied.returncode != 0 and "Permission denied" in denied.stderr, f"{person} can list {other_home}"


def test_students_cannot_reach_the_solutions_or_the_gradebook(released):
    targets = [course_root() / "source" / "task4_1" / "numpy_neural_network.ipynb", course_root() / "gradebook.db",
               course_root() / "nbgrader_config.py"]
    for student in STUDENTS:
        for target in targets:
            assert target.exists(), target
            denied = released.run_as(student, f"cat {target}", check=False)
            assert denied.returncode != 0 and "Permission denied" in denied.stderr, f"{student} read {target}"


def test_submissions_cannot_be_listed_or_removed_by_other_students(released):
    sign(released, ALICE, "alice-original")
    released.run_as(ALICE, "nbgrader submit task4_1")
    (submission,) = submissions_of(ALICE)
    # a world-readable inbound (or exchange) would let every student list every submission
    listing = released.run_as(BOB, f"ls '{inbound()}'", check=False)
    assert listing.returncode != 0 and "Permission denied" in listing.stderr, listing.stdout
    feedback = released.run_as(BOB, f"ls '{inbound().parent / 'feedback'}'", check=False)
    assert feedback.returncode != 0 and "Permission denied" in feedback.stderr
    assert released.run_as(BOB, f"ls '{inbound()}/{ALICE}'*", check=False).returncode != 0
    # Even given the name: the sticky inbound stops another student moving it away, and the submission
    # (nbgrader's own submit leaves it 0777) is nobody else's to change.
    moved = released.run_as(BOB, f"mv '{inbound() / submission}' /tmp/stolen", check=False)
    assert moved.returncode != 0 and (inbound() / submission / "timestamp.txt").is_file(), moved.stderr
    notebook = inbound() / submission / "numpy_neural_network.ipynb"
    for attempt in (f"echo x >> '{notebook}'", f"touch '{inbound() / submission}/planted.txt'",
                    f"rm -f '{notebook}'", f"mv '{notebook}' '{inbound() / submission}/moved.ipynb'"):
        refused = released.run_as(BOB, attempt, check=False)
        assert refused.returncode != 0 and "Permission denied" in refused.stderr, f"{BOB} could: {attempt}"
    assert notebook.is_file() and not (inbound() / submission / "planted.txt").exists()
    read = released.run_as(TEACHER, f"cat '{notebook}' > /dev/null && ls '{inbound() / submission}'")
    assert "timestamp.txt" in read.stdout, "the instructor must still read the submission"


def test_nothing_a_student_can_read_names_another_students_submission(released):
    secrets_ = sorted({name.rsplit("+", 1)[-1] for name in submissions_of(ALICE)})  # the random part of each name
    assert secrets_, f"{ALICE} submitted in the test before"
    roots = " ".join(sorted({"/srv", "/tmp", "/var/log", "/var/tmp", "/etc", "/home", str(STATE)}))
    search = released.run_as(BOB, f"grep -rIlsF {' '.join(f'-e {s}' for s in secrets_)} {roots}; true")
    assert search.stdout.strip() == "", f"{BOB} can read files naming {ALICE}'s submissions:\n{search.stdout}"
    for private in (STATE / "hub" / "jupyterhub.log", STATE / "hub" / "jupyterhub.sqlite"):
        assert private.exists(), private
        denied = released.run_as(BOB, f"cat '{private}'", check=False)
        assert denied.returncode != 0 and "Permission denied" in denied.stderr, f"{BOB} read {private}"


def test_a_submission_made_in_another_students_name_is_never_collected(released):
    sign(released, BOB, "bob-posing-as-alice")
    released.run_as(BOB, f"nbgrader submit task4_1 --student {ALICE}")  # nbgrader lets it through
    assert len(submissions_of(ALICE)) == 2, "the impostor's submission should be the newest of alice's"
    collect = released.run_as(TEACHER, "nbgrader collect task4_1 --update", cwd=course_root())
    collected = (course_root() / "submitted" / ALICE / "task4_1" / "numpy_neural_network.ipynb").read_text()
    assert "alice-original" in collected and "bob-posing-as-alice" not in collected
    assert re.search(rf"Refused {ALICE}\+task4_1\+.* made by the account {BOB}", collect.stderr), collect.stderr


def login(hub, username):
    """An HTTP session logged in through the hub's login form, with the user's server started."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{hub.url}/hub/login").read().decode()
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page).group(1)
    form = {"username": username, "password": hub.passwords[username], "_xsrf": xsrf}
    opener.open(f"{hub.url}/hub/login?next=", urllib.parse.urlencode(form).encode())
    return opener


def status(opener, url):
    """The status of ``url`` once the user's server has started (the hub shows spawn-pending meanwhile)."""
    for _ in range(120):
        try:
            response = opener.open(url)
            if "/spawn-pending/" not in response.url:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code
        time.sleep(1)
    return None


def test_students_have_no_formgrader_and_the_instructor_has_it_framed_by_its_own_origin(released):
    for username in (ALICE, TEACHER):
        opener = login(released, username)
        assert status(opener, f"{released.url}/user/{username}/lab") == 200
        expected = 200 if username == TEACHER else 404
        assert status(opener, f"{released.url}/user/{username}/formgrader") == expected, username
    teacher = login(released, TEACHER).open(f"{released.url}/user/{TEACHER}/formgrader")
    assert "frame-ancestors 'self'" in teacher.headers["Content-Security-Policy"]
    assert (STATE / "config" / "student").stat().st_uid == 0, "students must not own their configuration folder"


def test_a_backdated_submission_is_timed_when_the_exchange_received_it(released):
    forged = "2020-01-01 00:00:00.000000 UTC"
    folder = inbound() / f"{BOB}+task4_1+{forged}+forgedsuffix"
    released.run_as(BOB, f"mkdir '{folder}' && cp task4_1/numpy_neural_network.ipynb '{folder}/' && "
                         f"echo -n '{forged}' > '{folder}/timestamp.txt'")
    collect = released.run_as(TEACHER, f"nbgrader collect task4_1 --update --student {BOB}", cwd=course_root())
    assert "claims it was submitted at 2020-01-01" in collect.stderr, collect.stderr
    stamp = (course_root() / "submitted" / BOB / "task4_1" / "timestamp.txt").read_text()
    assert not stamp.startswith("2020"), stamp


def test_a_submission_backdated_by_minutes_is_timed_when_the_exchange_received_it_too(released):
    import datetime

    claimed = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=2)
    forged = claimed.strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    folder = inbound() / f"{BOB}+task4_1+{forged}+minutesearly"
    released.run_as(BOB, f"mkdir '{folder}' && cp task4_1/numpy_neural_network.ipynb '{folder}/' && "
                         f"echo -n '{forged}' > '{folder}/timestamp.txt'")
    shutil.rmtree(course_root() / "submitted" / BOB)  # what an earlier test collected is newer than this claim
    collect = released.run_as(TEACHER, f"nbgrader collect task4_1 --update --student {BOB}", cwd=course_root())
    assert f"claims it was submitted at {claimed:%Y-%m-%d %H:%M}" in collect.stderr, collect.stderr
    stamp = (course_root() / "submitted" / BOB / "task4_1" / "timestamp.txt").read_text()
    assert stamp > forged, f"the claim {forged} was kept: {stamp}"
