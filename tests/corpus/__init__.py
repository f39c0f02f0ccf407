"""The grading corpus: correct submissions in other styles and named mutants."""
import pathlib
import tomllib

from autograder.course import layout, synthetic_submissions

HERE = pathlib.Path(__file__).parent
STYLES = sorted((HERE / "styles").glob("*.py"))
# Correct but about 15x slower than the reference: graded once, in the adversarial class (time limits)
SLOW_STYLE = HERE / "slow" / "loops_per_sample.py"


def load_mutants():
    with open(HERE / "mutants.toml", "rb") as f:
        return tomllib.load(f)["mutant"]


def style_answers(style_file, partial=False):
    """Reference answers with every class cell replaced by the style file's class.

    ``partial``: classes the file does not define keep the reference's answer.
    """
    classes = synthetic_submissions.split_classes(style_file.read_text())
    missing = set(layout.GRADED_CLASSES) - set(classes)
    if missing and not partial:
        raise ValueError(f"{style_file.name} lacks classes {sorted(missing)}")
    answers = synthetic_submissions.reference_answers()
    for name, grade_id in layout.GRADED_CLASSES.items():
        if name in classes:
            answers[grade_id] = classes[name]
    return answers


def mutant_answers(mutant):
    return synthetic_submissions.mutate(synthetic_submissions.reference_answers(), mutant["cell"], mutant["old"], mutant["new"])


def all_submissions():
    """{student id: answers} for the whole corpus (styles get full marks, mutants do not)."""
    found = {f"style-{f.stem}": style_answers(f) for f in STYLES}
    found.update({f"mutant-{m['name']}": mutant_answers(m) for m in load_mutants()})
    return found
