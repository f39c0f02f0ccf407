"""The calibration class for autograder/report/similarity.py: independent authors, disguised copies, stubs.

Independent authors (each writes every class cell, and the training loop's four lines):
    the reference solution, each correct style of tests/corpus/styles/, the slow style of
    tests/corpus/slow/ (it writes Linear and ReLU only; its other cells are left blank), and the
    styles written for this check in tests/corpus/styles_similarity/. Styles write the class cells;
    their training loop is the reference's four lines (even authors) or a three-line variant (odd
    ones), the short answer every correct student writes alike; their exercise cells stay blank.
Reference family:
    mutants (tests/corpus/mutants.toml) are single edits of the reference, so a mutant and the
    reference are one author. The class holds ONE mutant; the (reference, mutant) pair is left out
    of the labelled pairs (it is neither an independent pair nor a planted copy).
Planted copies (positives): disguised copies of several authors made by the functions below
    (real transformations with ast / tokenize), one disguise each and combinations, plus a ring
    of three: an original and two differently disguised copies of it.
Stub-only submissions (negatives): the blank release notebook and a partly done one (its own
    ReLU and the common training loop; every other cell left as released).
Labelled pairs: positives = each planted copy with its original, and the pairs inside the ring;
negatives = every pair of different authors (copies count as their original's author), stub-only
pairs included.
"""
import ast
import builtins
import dataclasses
import functools
import io
import itertools
import keyword
import pathlib
import random
import tokenize

import nbformat
import numpy as np

from autograder.course import layout, synthetic_submissions
from tests.corpus import SLOW_STYLE, STYLES, load_mutants, mutant_answers

HERE = pathlib.Path(__file__).parent
SIMILARITY_STYLES = sorted((HERE / "corpus" / "styles_similarity").glob("*.py"))
CLASS_CELLS = tuple(layout.GRADED_CLASSES.values())

CANONICAL_LOOP = """            probs = model.forward(X_batch)
            loss = loss_fn.forward(probs, y_batch)
            model.backward(loss_fn.backward())
            optimizer.step(model)
"""
VARIANT_LOOP = """            loss = loss_fn(model(X_batch), y_batch)
            model.backward(loss_fn.backward())
            optimizer.step(model)
"""
PARTIAL_RELU = '''class ReLU:
    """Element-wise max(0, z); works on arrays of any shape."""

    def __init__(self):
        self.cache = {}

    def forward(self, Z):
        """Z: any shape -> A = max(0, Z), same shape. Caches what backward needs."""
        keep = Z >= 0
        self.cache["keep"] = keep
        return Z * keep

    def backward(self, dA):
        """dA: upstream gradient, shape of Z -> dZ = dA where Z > 0, else 0."""
        return dA * self.cache["keep"]

    def __call__(self, Z):
        return self.forward(Z)
'''
MUTANT = "dw_summed"


# ---------------------------------------------------------------- what the notebook fixes

def _release_code_cells():
    notebook = nbformat.read(str(layout.SOURCE_NOTEBOOK), as_version=4)
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def _parse(source):
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    return ast.parse("\n".join(lines))


def _fixed_names():
    """Names a copier cannot rename without breaking the notebook: what its given cells use."""
    attributes, keywords = set(), set()
    for cell in _release_code_cells():
        if cell.metadata.get("nbgrader", {}).get("solution"):
            continue
        for node in ast.walk(_parse(cell.source)):
            if isinstance(node, ast.Attribute):
                attributes.add(node.attr)
            elif isinstance(node, ast.keyword) and node.arg:
                keywords.add(node.arg)
    library_names = set().union(*(dir(m) for m in (np, np.ndarray, np.random, dict, list, str, tuple, set)))
    return attributes | library_names | {"W", "b", "dW", "db", "layers"}, keywords


FIXED_ATTRIBUTES, FIXED_KEYWORDS = _fixed_names()
SOLUTION_CODE_CELLS = {gid for gid, cell in synthetic_submissions.cells_by_grade_id(layout.SOURCE_NOTEBOOK).items()
                       if cell.cell_type == "code" and cell.metadata["nbgrader"].get("solution")}


# ---------------------------------------------------------------- editing source text

def _char_offsets(source):
    """Offset of each line's start (1-based line index) for ast positions."""
    starts, total = [0, 0], 0
    for line in source.splitlines(keepends=True):
        total += len(line)
        starts.append(total)
    return starts


def _offset(source, starts, lineno, col_bytes):
    """Character offset of an ast position (ast columns count UTF-8 bytes)."""
    line = source[starts[lineno]:starts[lineno + 1] if lineno + 1 < len(starts) else len(source)]
    return starts[lineno] + len(line.encode()[:col_bytes].decode(errors="ignore"))


def _apply(source, edits):
    """Apply (start, end, replacement) edits, which must not overlap."""
    result, last = source, None
    for start, end, text in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        if last is not None and end > last:
            raise ValueError(f"overlapping edits at {start}-{end}")
        result = result[:start] + text + result[end:]
        last = start
    return result


WORDS = ("value", "item", "temp", "data", "result", "thing", "store", "buf", "acc", "node", "part", "piece",
         "hold", "cell", "slot", "track", "entry", "box", "unit", "frame")


def _fresh_names(rng, taken):
    """An endless supply of identifiers not in ``taken``."""
    while True:
        name = f"{rng.choice(WORDS)}_{rng.choice(WORDS)}{rng.randrange(10)}"
        if name not in taken and not keyword.iskeyword(name):
            taken.add(name)
            yield name


# ---------------------------------------------------------------- disguise: rename identifiers

def _outer_functions(tree):
    """Function definitions not nested in another function."""
    found = []

    def visit(node, inside):
        for child in ast.iter_child_nodes(node):
            is_function = isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if is_function and not inside:
                found.append(child)
            visit(child, inside or is_function)
    visit(tree, False)
    return found


def _renamable_locals(function, rename_self):
    """Parameters (without defaults, not passed by keyword) and assigned names of a function."""
    args = function.args
    positional = args.posonlyargs + args.args
    with_defaults = {a.arg for a in positional[len(positional) - len(args.defaults):]} if args.defaults else set()
    with_defaults |= {a.arg for a in args.kwonlyargs}
    names, excluded = set(), set(with_defaults) | FIXED_KEYWORDS
    if positional and not rename_self:
        excluded.add(positional[0].arg)
    for node in ast.walk(function):
        if isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            excluded.update(node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node is not function:
            excluded.add(node.name)
        elif isinstance(node, ast.JoinedStr):  # f-string positions are not reliable before 3.12
            excluded.update(n.id for n in ast.walk(node) if isinstance(n, ast.Name))
    return names - excluded - set(dir(builtins))


def _self_attributes(tree):
    """Attribute names a class sets on ``self`` (the first parameter) that the notebook does not fix."""
    found = set()
    for function in _outer_functions(tree):
        positional = function.args.posonlyargs + function.args.args
        if not positional:
            continue
        me = positional[0].arg
        for node in ast.walk(function):
            if (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
                    and isinstance(node.value, ast.Name) and node.value.id == me):
                found.add(node.attr)
    return {name for name in found if name not in FIXED_ATTRIBUTES and not name.startswith("__")}


def _rename_edits(source, tree, attribute_names, rng, taken):
    starts, edits = _char_offsets(source), []
    for function in _outer_functions(tree):
        renamed = sorted(_renamable_locals(function, rename_self=rng.random() < 0.5))
        mapping = dict(zip(renamed, _fresh_names(rng, taken), strict=False))  # an endless supply of names
        for node in ast.walk(function):
            if isinstance(node, ast.Name) and node.id in mapping:
                edits.append((_offset(source, starts, node.lineno, node.col_offset),
                              _offset(source, starts, node.end_lineno, node.end_col_offset), mapping[node.id]))
            elif isinstance(node, ast.arg) and node.arg in mapping:
                start = _offset(source, starts, node.lineno, node.col_offset)
                edits.append((start, start + len(node.arg), mapping[node.arg]))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in attribute_names:
            end = _offset(source, starts, node.end_lineno, node.end_col_offset)
            edits.append((end - len(node.attr), end, attribute_names[node.attr]))
    return edits


def rename_identifiers(answers, rng):
    """Rename local variables, parameters and the attributes classes keep on self, consistently
    across all cells (a class reads another's attributes), leaving what the notebook fixes."""
    trees = {gid: ast.parse(source) for gid, source in answers.items()}
    taken = {n.id for t in trees.values() for n in ast.walk(t) if isinstance(n, ast.Name)} | set(dir(builtins))
    fresh = _fresh_names(rng, taken)
    attribute_names = {name: next(fresh) for name in sorted(set().union(*map(_self_attributes, trees.values())))}
    return {gid: _apply(source, _rename_edits(source, trees[gid], attribute_names, rng, taken))
            for gid, source in answers.items()}


# ---------------------------------------------------------------- disguise: reformat

AUGMENTED = {"+=", "-=", "*=", "/=", "//=", "%=", "**=", ">>=", "<<=", "&=", "^=", "|=", "@="}


def _wrap_position(line):
    """Index after which a logical line's right-hand side starts (assignment or return), else None."""
    significant = [(i, tok) for i, tok in enumerate(line) if tok.type not in (tokenize.COMMENT, tokenize.NL)]
    if not significant:
        return None
    first = significant[0][1]
    if first.string == "return":
        return significant[0][0] if len(significant) > 1 else None
    if first.type == tokenize.NAME and keyword.iskeyword(first.string):
        return None
    depth, found = 0, []
    for i, tok in significant:
        if tok.string in "([{" and tok.type == tokenize.OP:
            depth += 1
        elif tok.string in ")]}" and tok.type == tokenize.OP:
            depth -= 1
        elif depth == 0 and tok.string == ":":
            return None  # annotations, one-line compound statements
        elif depth == 0 and (tok.string == "=" or tok.string in AUGMENTED):
            found.append(i)
    return found[0] if len(found) == 1 else None


def _respaced_line(line, rng):
    """(type, string) tokens of a logical line: right-hand side in parentheses, breaks after some commas."""
    wrap_after = _wrap_position(line)
    last_code = max((i for i, tok in enumerate(line) if tok.type not in (tokenize.COMMENT, tokenize.NL)), default=-1)
    out, depth = [], 0
    for i, tok in enumerate(line):
        out.append((tok.type, tok.string))
        if tok.type == tokenize.OP and tok.string in "([{":
            depth += 1
        elif tok.type == tokenize.OP and tok.string in ")]}":
            depth -= 1
        if i == wrap_after:
            out.append((tokenize.OP, "("))
        if i == last_code and wrap_after is not None:
            out.append((tokenize.OP, ")"))
        if tok.string == "," and depth > 0 and rng.random() < 0.6:
            out.append((tokenize.NL, "\n"))
    return out


def reformat_spacing(source, rng):
    """Re-lay the tokens: other spacing, line breaks inside brackets, redundant parentheses; same AST."""
    tokens, line, out = list(tokenize.generate_tokens(io.StringIO(source).readline)), [], []
    for tok in tokens:
        if tok.type in (tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER):
            out.append((tok.type, tok.string))
        elif tok.type == tokenize.NEWLINE:
            out.extend(_respaced_line(line, rng) + [(tok.type, "\n")])
            line = []
        elif tok.type == tokenize.NL and not line:
            out.append((tok.type, tok.string))
        else:
            line.append(tok)
    result = tokenize.untokenize(out)
    if ast.dump(ast.parse(result)) != ast.dump(ast.parse(source)):
        raise AssertionError("reformat_spacing changed the code's meaning")
    return result


def reformat_canonical(source, rng=None):
    """What a formatter does from the AST: canonical spacing, quotes and parentheses, no comments."""
    return ast.unparse(ast.parse(source)) + "\n"


# ---------------------------------------------------------------- disguise: reorder

DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _start(node):
    return min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])


def _permuted(items, rng):
    """A permutation of items different from their order (when there are two or more)."""
    order = list(items)
    rng.shuffle(order)
    if len(order) > 1 and order == list(items):
        order = order[1:] + order[:1]
    return order


def _reordered_body(body, lines, rng, first_line):
    """Text of lines first_line..end of body, its definitions (and methods inside classes) shuffled."""
    chunks, previous_end = [], first_line - 1
    for statement in body:
        start, end = previous_end + 1, statement.end_lineno
        if isinstance(statement, ast.ClassDef) and len(statement.body) > 1 \
                and _start(statement.body[0]) > statement.lineno:
            inner_start = _start(statement.body[0])
            text = "".join(lines[start - 1:inner_start - 1]) + _reordered_body(statement.body, lines, rng, inner_start)
        else:
            text = "".join(lines[start - 1:end])
        chunks.append((isinstance(statement, DEFINITIONS) and bool(text.strip()), text))
        previous_end = end
    movable = [i for i, (is_definition, _) in enumerate(chunks) if is_definition]
    texts = [text for _, text in chunks]
    for slot, index in zip(movable, _permuted(movable, rng), strict=True):
        texts[slot] = chunks[index][1]
    return "".join(texts)


def _statements(tree):
    """Every statement but the class definitions (whose body order changes), as sorted dumps."""
    return sorted(ast.dump(node) for node in ast.walk(tree)
                  if isinstance(node, ast.stmt) and not isinstance(node, ast.ClassDef))


def reorder_definitions(source, rng):
    """Shuffle the methods of every class and the top-level definitions of the cell."""
    if not source.endswith("\n"):
        source += "\n"
    tree, lines = ast.parse(source), source.splitlines(keepends=True)
    if not tree.body:
        return source
    first, last = _start(tree.body[0]), tree.body[-1].end_lineno
    result = "".join(lines[:first - 1]) + _reordered_body(tree.body, lines, rng, first) + "".join(lines[last:])
    if _statements(ast.parse(result)) != _statements(tree):
        raise AssertionError("reorder_definitions lost or changed a statement")
    return result


def swap_class_cells(answers, first="softmax", second="cross_entropy"):
    """Move two classes to each other's cells (both are defined before any cell uses them)."""
    if first in answers and second in answers:
        return {**answers, first: answers[second], second: answers[first]}
    return answers


# ---------------------------------------------------------------- disguise: comments and docstrings

PHRASES = ("keep the numbers stable", "store this for the backward pass", "same shape as the input",
           "average over the batch", "one entry per layer", "see the lecture notes", "vectorised version",
           "works for any batch size", "update in place", "this was tricky", "gradient flows back here")


def _docstring_node(node):
    body = getattr(node, "body", None)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        return body[0]
    return None


def _indent_of(source, starts, lineno):
    line = source[starts[lineno]:starts[lineno + 1] if lineno + 1 < len(starts) else len(source)]
    return line[:len(line) - len(line.lstrip())]


def rewrite_comments(source, rng):
    """New comments and docstrings: old ones replaced or dropped, new ones added before statements."""
    tree, starts, edits = ast.parse(source), _char_offsets(source), []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            start = starts[tok.start[0]] + tok.start[1]
            edits.append((start, start + len(tok.string), f"# {rng.choice(PHRASES)}" if rng.random() < 0.6 else ""))
    for node in ast.walk(tree):
        if not isinstance(node, DEFINITIONS):
            continue
        doc = _docstring_node(node)
        if doc is not None:
            edits.append((_offset(source, starts, doc.lineno, doc.col_offset),
                          _offset(source, starts, doc.end_lineno, doc.end_col_offset),
                          f'"""{rng.choice(PHRASES).capitalize()}."""'))
        elif _start(node.body[0]) > node.lineno and rng.random() < 0.5:
            first_line = _start(node.body[0])
            at = starts[first_line]
            indent = _indent_of(source, starts, first_line)
            edits.append((at, at, f'{indent}"""{rng.choice(PHRASES).capitalize()}."""\n'))
    for node in ast.walk(tree):
        for statement in getattr(node, "body", [])[1:] if isinstance(node, (ast.Module, *DEFINITIONS)) else []:
            prefix = source[starts[statement.lineno]:_offset(source, starts, statement.lineno, statement.col_offset)]
            if not prefix.strip() and rng.random() < 0.3 and not getattr(statement, "decorator_list", None):
                at = starts[statement.lineno]
                edits.append((at, at, f"{prefix}# {rng.choice(PHRASES)}\n"))
    result = _apply(source, edits)
    ast.parse(result)
    return result


# ---------------------------------------------------------------- disguising a submission

def _per_cell(transform):
    def disguise(answers, rng):
        return {gid: transform(source, rng) for gid, source in answers.items()}
    return disguise


def _reorder(answers, rng):
    return swap_class_cells(_per_cell(reorder_definitions)(answers, rng))


DISGUISES = {
    "rename": rename_identifiers,
    "reformat": _per_cell(reformat_spacing),
    "reformat_canonical": _per_cell(reformat_canonical),
    "reorder": _reorder,
    "comments": _per_cell(rewrite_comments),
}


def disguise(answers, steps, seed):
    """``answers`` ({grade_id: source}) after each named disguise in turn (each must change the text);
    markdown answers are dropped."""
    rng = random.Random(seed)
    code = {gid: source for gid, source in answers.items() if gid in SOLUTION_CODE_CELLS}
    for step in steps:
        disguised = DISGUISES[step](code, rng)
        if disguised == code:
            raise AssertionError(f"the disguise {step!r} changed nothing")
        code = disguised
    return code


# ---------------------------------------------------------------- the authors

def _with_loop(answers, variant):
    loop = synthetic_submissions.reference_answers()["training_loop"]
    if variant:
        loop = synthetic_submissions.mutate({"training_loop": loop}, "training_loop", CANONICAL_LOOP,
                                            VARIANT_LOOP)["training_loop"]
    return {**answers, "training_loop": loop}


def _style_cells(path):
    classes = synthetic_submissions.split_classes(path.read_text())
    return {gid: classes[name] for name, gid in layout.GRADED_CLASSES.items() if name in classes}


def independent_authors():
    """{author: answers} of the independent authors (answers: {grade_id: source}); a fresh copy."""
    return {author: dict(answers) for author, answers in _authors().items()}


@functools.lru_cache(maxsize=1)
def _authors():
    authors = {"reference": synthetic_submissions.reference_answers()}
    files = [*STYLES, SLOW_STYLE, *SIMILARITY_STYLES]
    for n, path in enumerate(files):
        name = "slow" if path == SLOW_STYLE else f"style-{path.stem}"
        authors[name] = _with_loop(_style_cells(path), variant=n % 2 == 1)
    return authors


def mutant_of_reference():
    return mutant_answers(next(m for m in load_mutants() if m["name"] == MUTANT))


# (copy id, original author, disguises in order): one disguise each, combinations, and a ring of three
PLANTED = (
    ("copy-renamed", "style-float32_throughout", ("rename",)),
    ("copy-reformatted", "style-inplace_updates", ("reformat",)),
    ("copy-formatter", "style-cached_dict_outer", ("reformat_canonical",)),
    ("copy-reordered", "style-np_dot_where", ("reorder",)),
    ("copy-recommented", "style-warns_but_correct", ("comments",)),
    ("copy-everything", "style-matmul_long_names", ("rename", "reorder", "comments", "reformat")),
    ("copy-partial", "slow", ("rename", "reformat_canonical")),
    ("ring-1", "style-logsumexp_sequence", ("rename", "reorder")),
    ("ring-2", "style-logsumexp_sequence", ("comments", "reformat_canonical", "rename")),
)
RING = ("style-logsumexp_sequence", "ring-1", "ring-2")
BLANK, PARTIAL = "stub-blank", "stub-partly-done"


@dataclasses.dataclass
class CalibrationClass:
    answers: dict  # {student id: {grade_id: source}} (the blank notebook: {})
    author: dict  # {student id: author}; a copy's author is its original's
    excluded: set  # pairs (frozensets) in no label: the reference family
    expected_groups: list

    def notebooks(self):
        return {sid: synthetic_submissions.build(answers) for sid, answers in self.answers.items()}

    def labelled(self):
        """(positives, negatives): sets of frozenset pairs of student ids."""
        positives, negatives = set(), set()
        for a, b in itertools.combinations(sorted(self.answers), 2):
            pair = frozenset((a, b))
            if pair in self.excluded:
                continue
            (positives if self.author[a] == self.author[b] else negatives).add(pair)
        return positives, negatives


def calibration_class(seed=0):
    authors = independent_authors()
    answers = dict(authors)
    author = {name: name for name in authors}
    answers[f"mutant-{MUTANT}"], author[f"mutant-{MUTANT}"] = mutant_of_reference(), "reference"
    for n, (copy_id, original, steps) in enumerate(PLANTED):
        answers[copy_id] = disguise(authors[original], steps, seed=seed * 1000 + n)
        author[copy_id] = original
    answers[BLANK], author[BLANK] = {}, BLANK
    answers[PARTIAL], author[PARTIAL] = _with_loop({"relu": PARTIAL_RELU}, variant=False), PARTIAL
    return CalibrationClass(answers=answers, author=author, excluded={frozenset(("reference", f"mutant-{MUTANT}"))},
                            expected_groups=[sorted(RING)])
