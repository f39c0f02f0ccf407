"""The grading corpus: correct submissions in other styles, named mutants, and mistakes written by property
(by_property/: whole classes as students write them; each file's docstring says which identifiers name it)."""
import ast
import pathlib
import re
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


BY_PROPERTY = sorted((HERE / "by_property").glob("*.py"))
FIELD = re.compile(r"^(property|accept):\s*(.*)$")
IDENTIFIER = re.compile(r"^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)?$")
MESSAGE_CHARS = 300


class MalformedCorpusFile(ValueError):
    pass


def parse_property_mistake(path):
    """(mistake sentence, property, [accepted identifiers]) from a corpus file's module docstring."""
    try:
        doc = ast.get_docstring(ast.parse(path.read_text()), clean=True)
    except SyntaxError as exc:
        raise MalformedCorpusFile(f"{path.name}: not valid Python ({exc})") from exc
    if not doc:
        raise MalformedCorpusFile(f"{path.name}: no module docstring")
    paragraphs = doc.strip().split("\n\n")
    if len(paragraphs) != 2:
        raise MalformedCorpusFile(f"{path.name}: the docstring should be a sentence, a blank line, then "
                                  "the `property:` and `accept:` lines")
    sentence = " ".join(paragraphs[0].split())
    fields = {}
    for line in paragraphs[1].splitlines():
        match = FIELD.match(line.strip())
        if not match or match.group(1) in fields:
            raise MalformedCorpusFile(f"{path.name}: unexpected docstring line {line!r}")
        fields[match.group(1)] = match.group(2).strip()
    if set(fields) != {"property", "accept"}:
        raise MalformedCorpusFile(f"{path.name}: needs both `property:` and `accept:` lines")
    accept = [part.strip() for part in fields["accept"].split(",") if part.strip()]
    for identifier in [fields["property"], *accept]:
        if not IDENTIFIER.match(identifier):
            raise MalformedCorpusFile(f"{path.name}: {identifier!r} is not an identifier")
    return sentence, fields["property"], accept


def is_visible_cell(grade_id):
    return grade_id.endswith("_visible")


def grade_property_mistake(path, verbose=False, visible=True):
    """One row of the table for one corpus file."""
    sentence, prop, accept = parse_property_mistake(path)
    from tests import inprocess

    answers = style_answers(path, partial=True)
    diagnosed = inprocess.run_diagnosed(answers)          # {failed test: identifier}, notebook order
    hidden_failures = [gid for gid in diagnosed if not is_visible_cell(gid)]
    first = hidden_failures[0] if hidden_failures else None
    given = diagnosed[first] if first else "-"
    visible = visible and any(message is not None for gid, message in inprocess.run_visible(answers).items()
                              if is_visible_cell(gid))
    message = ""
    if verbose and first:
        message = (inprocess.run(answers)[first] or "")[:MESSAGE_CHARS]
    return {"name": path.stem, "sentence": sentence, "property": prop, "accept": accept,
            "caught": bool(diagnosed), "visible": visible, "named": given in accept,
            "given": given, "test": first or (f"none (only {', '.join(diagnosed)})" if diagnosed else "-"),
            "failed": list(diagnosed), "message": message}
