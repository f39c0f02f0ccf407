"""Similarity (copy detection) across one class's submissions of Task 4.1.

What is compared
    Only code the students wrote: the code cells whose grade_id is a solution code cell of the
    RELEASE notebook. Cells are picked by grade_id alone (a student can edit nbgrader metadata),
    and cells with any other grade_id, or none, are ignored. Every logical line of the release's
    code (class and method headers, given lines such as ``self.cache = {}``,
    ``raise NotImplementedError()``, the training loop's given code, the lines of any release
    cell) is removed before fingerprinting, compared after the normalisation below, so a stub line
    reformatted or with renamed parameters is still the release's; the stubs alone give no
    fingerprint. Comments and docstrings never count.

How (winnowing, as MOSS does; calibrated by tests/test_similarity.py and benchmarks/bench_similarity.py)
    1. Python's ``tokenize`` turns each cell into tokens. Comments, docstrings (any statement that
       is only a string), line breaks, indentation, parentheses, trailing commas and semicolons
       are dropped, so layout and bracket style change nothing. Code that does not parse is
       tokenized piece by piece (IPython magics and syntax errors do not stop it).
    2. Names become ``V`` unless renaming them would break the notebook: keywords, builtins, the
       names the release imports or defines (``np``, ``Linear``, ``forward``...), the attribute
       names the release's given cells use (``W``, ``dW``, ``layers``...) and numpy's names
       (``.sum``, ``np.exp``...) are kept. Keeping those separated copies from independent work
       best in calibration (all names as ``V``, or numpy's only, did worse). Strings become ``S``
       and numbers ``N`` (keeping numbers made no difference; ``N`` survives ``2.0`` -> ``2.``).
    3. Every K consecutive tokens (a k-gram) get a stable 64-bit hash; winnowing keeps the
       rightmost smallest hash of every WINDOW consecutive k-grams, so any common run of
       K + WINDOW - 1 = 15 tokens or more is seen. Each fingerprint remembers where it came from
       (cell, character range) for highlighting. K = 10 is about one statement; K from 6 to 20
       and windows 4 to 8 all separated the calibration class, K = 10, WINDOW = 6 with a wide gap.
    4. A submission is the *set* of its fingerprints, so reordered methods, classes or cells
       compare alike. Fingerprints of the release's code are dropped, and so are those found in
       more than max(COMMON_MIN_COUNT, COMMON_FRACTION x submissions compared) submissions
       (MOSS's -m): many correct students write the same short lines (the training loop's four),
       and those say nothing about copying. 10% of a class, never fewer than 5 submissions, so a
       ring of up to five copies stays visible in a small class.
    5. Pair score = shared fingerprints / the smaller submission's fingerprints: 1.0 when one
       submission's distinctive code lies wholly inside the other's. A pair is flagged when the
       score is >= the threshold (0.5) and it shares >= MIN_SHARED (10) fingerprints, about 5-7
       lines of one's own code, so tiny submissions cannot be flagged. In calibration planted
       copies scored 0.83-1.0 and random sequences of disguises >= 0.67; two different authors
       at most 0.31 (two corpus styles written from one template). Pairs come from an inverted
       index (fingerprint -> submissions): the work is the sum over fingerprints of
       holders * (holders - 1) / 2, not one set intersection per pair of students.

What it can and cannot see
    It sees copies disguised by renaming variables and attributes, reformatting, reordering
    methods or classes (even across cells), and rewriting comments and docstrings, in any
    combination; and copies of part of a submission when that part is most of the smaller one.
    It cannot see:
    * work rewritten by hand: the same idea in other code, or many small edits (``a -= b`` for
      ``a = a - b``, ``np.dot`` for ``@``, a loop for a comprehension) scattered every line or two;
    * one copied class inside otherwise independent work: the score is over whole submissions,
      and one class of seven copied scored 0.1-0.35 in calibration;
    * short answers every correct student writes alike: they are cut as common code, so a copy
      consisting only of them is not flagged; and when more than a tenth of a large class copies
      from one source, that source's lines become "common" and drop out too;
    * code outside the solution code cells (cells a student added, markdown answers), and lines
      that normalise to a line of the release (``for i in range(n):`` reads like the given
      ``for epoch in range(epochs):``).
    A flag is a reason to look at the two submissions side by side (write_pair_page), never
    evidence on its own: it says nothing about who copied from whom, or whether both used a
    third source.
"""
import ast
import builtins
import collections
import csv
import dataclasses
import hashlib
import io
import itertools
import keyword
import math
import pathlib
import tokenize

import nbformat
import numpy as np

from autograder.course.atomic_files import atomic_open
from autograder.course.notebook_code import grade_id
from autograder.report.similarity_pages import write_pair_page

__all__ = ["find_similar", "write_pair_page", "write_csv", "SimilarityReport", "Pair", "Match", "Span",
           "THRESHOLD", "MIN_SHARED", "K", "WINDOW", "COMMON_FRACTION", "COMMON_MIN_COUNT"]

# Calibrated on the class of tests/similarity_class.py (see the docstring; the benchmark prints the sweeps).
K = 10  # tokens per k-gram: about one statement after normalisation
WINDOW = 6  # winnowing window: common runs of K + WINDOW - 1 = 15 tokens or more are always seen
COMMON_FRACTION = 0.1  # fingerprints in more than this share of the submissions are common code ...
COMMON_MIN_COUNT = 5  # ... but the cut never falls below this many submissions (small classes, copy rings)
THRESHOLD = 0.5  # flag pairs whose score (shared / the smaller set) is at least this
MIN_SHARED = 10  # and that share at least this many fingerprints (one per ~4 tokens: 5-7 lines of own code)

STRING, NUMBER, VARIABLE = "S", "N", "V"
DROPPED_OPS = {"(", ")", ";"}
CLOSING = {")", "]", "}"}
NUMPY_NAMES = frozenset().union(*(dir(module) for module in (np, np.ndarray, np.random, np.linalg)))
MAX_TOKENIZE_RESTARTS = 50  # broken code: tokenize what follows each error, this many times at most


# ---------------------------------------------------------------- results

@dataclasses.dataclass(frozen=True)
class Span:
    """Characters [start, end) of one solution cell's code (``cell`` is its grade_id)."""
    cell: str
    start: int
    end: int


@dataclasses.dataclass(frozen=True)
class Match:
    """One matching passage: where it is in student a's code and in b's, and how many fingerprints."""
    a: Span
    b: Span
    fingerprints: int


@dataclasses.dataclass(frozen=True)
class Pair:
    """Two students (a < b) whose code is similar; score = shared / min(fingerprints of a, of b)."""
    a: str
    b: str
    score: float
    shared: int
    matches: tuple  # of Match, in a's code order


@dataclasses.dataclass
class SimilarityReport:
    """The result of find_similar.

    pairs: flagged pairs (score >= threshold, >= MIN_SHARED shared), highest score first.
    groups: sorted lists of >= 3 student ids connected by flagged pairs, largest first.
    compared: number of submissions compared; skipped: {student_id: reason} for the others.
    code: {student_id: {grade_id: cell source}} of the cells where a student wrote code.
    own_lines: {student_id: {grade_id: [(start, end), ...]}}: where in code their own lines are
    (the rest is the release's); pages highlight matches only there.
    fingerprints: {student_id: number of fingerprints left after the stub and common-code cuts}.
    cells: the release's solution code cells (grade_ids, notebook order).
    common_cut: fingerprints in more than this many submissions were dropped as common code.
    """
    pairs: list
    groups: list
    threshold: float
    compared: int
    skipped: dict
    code: dict = dataclasses.field(default_factory=dict)
    own_lines: dict = dataclasses.field(default_factory=dict)
    fingerprints: dict = dataclasses.field(default_factory=dict)
    cells: list = dataclasses.field(default_factory=list)
    common_cut: int = 0
    settings: dict = dataclasses.field(default_factory=dict)

    def group_of(self, student_id):
        """1-based index of the group holding ``student_id`` in self.groups, else None.

        Groups are connected components of the flagged pairs, so both students of a pair share theirs.
        """
        for index, group in enumerate(self.groups, 1):
            if student_id in group:
                return index
        return None


# ---------------------------------------------------------------- tokens

@dataclasses.dataclass(frozen=True)
class _Token:
    kind: int  # tokenize type (f-strings merged into one STRING)
    text: str
    start: int  # character offsets in the cell's source
    end: int


def _line_starts(source):
    """Offset of each line's first character, with lines split as tokenize splits them."""
    starts, offset = [0], 0
    for line in io.StringIO(source):
        offset += len(line)
        starts.append(offset)
    return starts


def _raw_tokens(source):
    """tokenize's tokens as (type, text, start offset, end offset); broken code is tokenized piecewise."""
    starts = _line_starts(source)
    first_line, restarts = 0, 0
    while first_line < len(starts) - 1 and restarts <= MAX_TOKENIZE_RESTARTS:
        lines = io.StringIO(source[starts[first_line]:])
        try:
            for tok in tokenize.generate_tokens(lines.readline):
                (row, col), (end_row, end_col) = tok.start, tok.end
                yield (tok.type, tok.string, starts[min(first_line + row - 1, len(starts) - 1)] + col,
                       starts[min(first_line + end_row - 1, len(starts) - 1)] + end_col)
            return
        except tokenize.TokenError as error:
            if "statement" in str(error.args[0]):
                return  # an unclosed bracket: every token up to the end was yielded already
            first_line += max(error.args[1][0], 1)  # an unclosed string: go on after the line it starts on
        except SyntaxError as error:  # IndentationError: go on at the offending line
            first_line += max((error.lineno or 1) - 1, 1)
        restarts += 1
        restart = starts[min(first_line, len(starts) - 1)]
        yield tokenize.NEWLINE, "", restart, restart  # what came before the error is a line of its own


FSTRING_START = getattr(tokenize, "FSTRING_START", None)  # Python >= 3.12 splits f-strings up
FSTRING_END = getattr(tokenize, "FSTRING_END", None)
SKIPPED_KINDS = {tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER,
                 tokenize.ENCODING}


def _logical_lines(source):
    """The cell's code as lists of _Token, one list per logical line; comments and docstrings removed."""
    line, depth, fstring_start = [], 0, None
    for kind, text, start, end in _raw_tokens(source):
        if FSTRING_START is not None and kind == FSTRING_START:
            depth += 1
            fstring_start = start if depth == 1 else fstring_start
            continue
        if depth:
            if kind == FSTRING_END:
                depth -= 1
                if not depth:
                    line.append(_Token(tokenize.STRING, "f''", fstring_start, end))
            continue
        if kind == tokenize.NEWLINE:
            if line and not all(tok.kind == tokenize.STRING for tok in line):  # docstrings
                yield line
            line = []
        elif kind == tokenize.ERRORTOKEN and not text.strip():
            continue
        elif kind not in SKIPPED_KINDS:
            line.append(_Token(kind, text, start, end))
    if line and not all(tok.kind == tokenize.STRING for tok in line):
        yield line


def _trailing_comma(tokens, index):
    return tokens[index].text == "," and index + 1 < len(tokens) and tokens[index + 1].text in CLOSING


# ---------------------------------------------------------------- the release

@dataclasses.dataclass
class _Release:
    cells: list  # grade_ids of the solution code cells, notebook order
    given_lines: set  # every logical line of every release code cell, normalised (tuples of token texts)
    kept_names: frozenset  # bare names kept as they are
    kept_attributes: frozenset  # names after "." kept as they are
    hashes: set = dataclasses.field(default_factory=set)  # every k-gram hash of the release's code


def _parse_leniently(source):
    """ast of a notebook cell, IPython magics and shell lines blanked; None if it still does not parse."""
    lines = [("" if line.lstrip().startswith(("%", "!")) else line) for line in source.splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except (SyntaxError, ValueError):
        return None


def _names_the_release_fixes(code_cells):
    """(kept bare names, kept attribute names): what students cannot rename without breaking the notebook."""
    names, attributes = set(dir(builtins)), set(NUMPY_NAMES)
    for cell in code_cells:
        tree = _parse_leniently(cell.source)
        if tree is None:
            continue
        solution = cell.metadata.get("nbgrader", {}).get("solution", False)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
                attributes.add(node.name)  # methods: self.forward(...)
            elif isinstance(node, ast.alias):
                names.add((node.asname or node.name).split(".")[0])
            elif isinstance(node, ast.Attribute) and not solution:
                attributes.add(node.attr)  # used by the release's own cells (tests, demos)
    return frozenset(names), frozenset(attributes)


def _read_notebook(notebook):
    if isinstance(notebook, (str, pathlib.Path)):
        return nbformat.read(str(notebook), as_version=4)
    if not isinstance(notebook, nbformat.NotebookNode):
        return nbformat.from_dict(notebook)
    return notebook


def _release(release_notebook):
    notebook = _read_notebook(release_notebook)
    code_cells = [cell for cell in notebook.cells if cell.get("cell_type") == "code"]
    names, attributes = _names_the_release_fixes(code_cells)
    release = _Release(cells=[grade_id(cell) for cell in code_cells
                              if grade_id(cell) and cell.metadata["nbgrader"].get("solution")],
                       given_lines=set(), kept_names=names, kept_attributes=attributes)
    for cell in code_cells:
        lines = [_line_texts(line, release) for line in _logical_lines(cell.source)]
        release.given_lines.update(lines)
        release.hashes.update(_kgram_hashes([text for line in lines for text in line]))
    return release


# ---------------------------------------------------------------- fingerprints

def _normalised(line, release):
    """(normalised text, _Token) for each token of a logical line that counts."""
    for index, tok in enumerate(line):
        if tok.text in DROPPED_OPS or _trailing_comma(line, index):
            continue
        if tok.kind == tokenize.NAME:
            after_dot = index > 0 and line[index - 1].text == "."
            kept = release.kept_attributes if after_dot else release.kept_names
            text = tok.text if keyword.iskeyword(tok.text) or tok.text in kept else VARIABLE
        elif tok.kind == tokenize.STRING:
            text = STRING
        elif tok.kind == tokenize.NUMBER:
            text = NUMBER
        else:
            text = tok.text
        yield text, tok


def _line_texts(line, release):
    return tuple(text for text, _ in _normalised(line, release))


def _hash(texts):
    """A stable 64-bit hash of a k-gram (the same in every process, unlike hash())."""
    return int.from_bytes(hashlib.blake2b("\x1f".join(texts).encode(), digest_size=8).digest(), "big")


def _kgram_hashes(texts):
    return [_hash(texts[i:i + K]) for i in range(len(texts) - K + 1)]


def _winnow(hashes):
    """Indices of the fingerprints winnowing keeps: the rightmost minimum of every WINDOW hashes."""
    chosen, last = [], -1
    for start in range(max(len(hashes) - WINDOW + 1, 1 if hashes else 0)):
        window = hashes[start:start + WINDOW]
        smallest = min(window)
        index = start + max(i for i, h in enumerate(window) if h == smallest)
        if index != last:
            chosen.append(index)
            last = index
    return chosen


@dataclasses.dataclass
class _Fingerprinted:
    student_id: str
    code: dict  # {grade_id: source} of the cells with code of the student's own
    own_lines: dict  # {grade_id: [(start, end), ...]} character ranges of the student's own logical lines
    spans: dict  # {hash: [Span, ...]} every place each fingerprint occurs
    new_tokens: int


def _solution_code(notebook, release):
    """{grade_id: source} of the student's cells that are release solution code cells (duplicates joined)."""
    wanted, code = set(release.cells), {}
    for cell in notebook.get("cells", []):
        gid, source = grade_id(cell), cell.get("source")
        source = "".join(source) if isinstance(source, list) else source
        if gid in wanted and isinstance(source, str):
            code[gid] = source if gid not in code else code[gid] + "\n" + source
    return code


def _own_tokens(source, release):
    """([(normalised text, _Token)], [(start, end)]) of the cell's logical lines that are not the release's."""
    tokens, ranges = [], []
    for line in _logical_lines(source):
        normalised = list(_normalised(line, release))
        if normalised and tuple(text for text, _ in normalised) not in release.given_lines:
            tokens.extend(normalised)
            ranges.append((line[0].start, line[-1].end))
    return tokens, ranges


def _fingerprint(student_id, notebook, release):
    code, own_lines, spans, new_tokens = {}, {}, collections.defaultdict(list), 0
    for gid, source in _solution_code(notebook, release).items():
        tokens, own_lines[gid] = _own_tokens(source, release)
        if not tokens:
            del own_lines[gid]
            continue
        code[gid], new_tokens = source, new_tokens + len(tokens)
        hashes = _kgram_hashes([text for text, _ in tokens])
        for index in _winnow(hashes):
            if hashes[index] not in release.hashes:
                spans[hashes[index]].append(Span(gid, tokens[index][1].start, tokens[index + K - 1][1].end))
    return _Fingerprinted(student_id, code, own_lines, dict(spans), new_tokens)


def _skip_reason(fingerprinted):
    if not fingerprinted.new_tokens:
        return "no code written (only the release's stubs)"
    if not fingerprinted.spans:
        return f"too little code to compare ({fingerprinted.new_tokens} tokens of its own)"
    return None


# ---------------------------------------------------------------- comparing

def common_cut(compared):
    """Fingerprints found in more than this many of ``compared`` submissions are common code."""
    return max(COMMON_MIN_COUNT, math.ceil(COMMON_FRACTION * compared))


def _shared_counts(fingerprint_sets, cut):
    """({(i, j): shared fingerprints} for i < j, common fingerprints): via an inverted index.

    Only fingerprints held by 2..cut submissions make pairs, so the work is the sum of
    held_by * (held_by - 1) / 2 over them, not one set intersection per pair.
    """
    postings = collections.defaultdict(list)
    for index, hashes in enumerate(fingerprint_sets):
        for h in hashes:
            postings[h].append(index)
    counts = collections.Counter()
    for holders in postings.values():
        if 2 <= len(holders) <= cut:
            counts.update(itertools.combinations(holders, 2))  # holders are in increasing order
    return counts, {h for h, holders in postings.items() if len(holders) > cut}


def _overlaps(span, region):
    return span.cell == region.cell and span.start <= region.end and span.end >= region.start


def _matches(a, b, shared, cells):
    """Matching passages: a's occurrences of shared fingerprints in code order, joined while they overlap
    on both sides."""
    order = {gid: n for n, gid in enumerate(cells)}
    occurrences = sorted(((span, h) for h in shared for span in a.spans[h]),
                         key=lambda item: (order.get(item[0].cell, 0), item[0].start))
    merged = []  # [a region, b region, fingerprints]
    for span_a, h in occurrences:
        if merged and _overlaps(span_a, merged[-1][0]):
            span_b = next((s for s in b.spans[h] if _overlaps(s, merged[-1][1])), None)
            if span_b is not None:
                region_a, region_b, count = merged[-1]
                merged[-1] = [Span(region_a.cell, region_a.start, max(region_a.end, span_a.end)),
                              Span(region_b.cell, min(region_b.start, span_b.start), max(region_b.end, span_b.end)),
                              count + 1]
                continue
        merged.append([span_a, b.spans[h][0], 1])
    return tuple(Match(region_a, region_b, count) for region_a, region_b, count in merged)


def _groups(pairs):
    """Connected components (sorted id lists) of >= 3 students linked by flagged pairs, largest first."""
    parent = {}

    def root(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for pair in pairs:
        parent[root(pair.a)] = root(pair.b)
    components = collections.defaultdict(list)
    for student in parent:
        components[root(student)].append(student)
    return sorted((sorted(c) for c in components.values() if len(c) >= 3), key=lambda c: (-len(c), c))


@dataclasses.dataclass
class ClassFingerprints:
    """fingerprint_class's result: the release, the fingerprinted submissions (by id), the skipped ones."""
    release: _Release
    submissions: list  # of _Fingerprinted (the order does not matter)
    skipped: dict  # {student_id: reason}


def fingerprint_class(submissions, release_notebook):
    """First step of find_similar: fingerprint every submission (the costly part, linear in the class)."""
    release = _release(release_notebook)
    fingerprinted, skipped = [], {}
    for student_id in sorted(submissions, key=str):
        try:
            result = _fingerprint(student_id, _read_notebook(submissions[student_id]), release)
        except Exception as error:  # noqa: BLE001 - one hostile notebook must not stop the class
            skipped[student_id] = f"unreadable notebook: {type(error).__name__}: {error}"[:300]
            continue
        reason = _skip_reason(result)
        if reason:
            skipped[student_id] = reason
        else:
            fingerprinted.append(result)
    return ClassFingerprints(release, fingerprinted, skipped)


def compare_class(fingerprints, threshold=THRESHOLD):
    """Second step of find_similar: the common-code cut, all pairs through the inverted index, groups."""
    release, fingerprinted = fingerprints.release, fingerprints.submissions
    cut = common_cut(len(fingerprinted))
    counts, common = _shared_counts([f.spans.keys() for f in fingerprinted], cut)
    sizes = [len(f.spans.keys() - common) for f in fingerprinted]
    pairs = []
    for (i, j), shared in counts.items():
        score = shared / min(sizes[i], sizes[j])
        if shared >= MIN_SHARED and score >= threshold:
            a, b = sorted((fingerprinted[i], fingerprinted[j]), key=lambda f: str(f.student_id))
            shared_hashes = (a.spans.keys() & b.spans.keys()) - common
            pairs.append(Pair(a.student_id, b.student_id, score, shared, _matches(a, b, shared_hashes, release.cells)))
    pairs.sort(key=lambda p: (-p.score, -p.shared, str(p.a), str(p.b)))
    return SimilarityReport(
        pairs=pairs, groups=_groups(pairs), threshold=threshold, compared=len(fingerprinted),
        skipped=dict(fingerprints.skipped), code={f.student_id: f.code for f in fingerprinted},
        own_lines={f.student_id: f.own_lines for f in fingerprinted},
        fingerprints={f.student_id: size for f, size in zip(fingerprinted, sizes, strict=True)},
        cells=list(release.cells), common_cut=cut,
        settings={"K": K, "WINDOW": WINDOW, "COMMON_FRACTION": COMMON_FRACTION,
                  "COMMON_MIN_COUNT": COMMON_MIN_COUNT, "MIN_SHARED": MIN_SHARED})


def find_similar(submissions, release_notebook, threshold=THRESHOLD):
    """Compare every submission with every other; return a SimilarityReport.

    submissions: {student_id: notebook path or nbformat NotebookNode}.
    release_notebook: the notebook released to students (path or NotebookNode): it says which
    cells are solution cells and which code is given.
    threshold: flag pairs whose score (shared fingerprints / the smaller submission's) is at least this.
    """
    return compare_class(fingerprint_class(submissions, release_notebook), threshold)


# ---------------------------------------------------------------- CSV

def write_csv(report, path):
    """One row per flagged pair, highest score first: a, b, score, shared fingerprints, group (1-based, or blank)."""
    path = pathlib.Path(path)
    with atomic_open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["a", "b", "score", "shared_fingerprints", "group"])
        for pair in report.pairs:
            group = report.group_of(pair.a) or ""
            writer.writerow([pair.a, pair.b, f"{pair.score:.3f}", pair.shared, group])
    return path
