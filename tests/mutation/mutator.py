"""Small, systematic changes to the solution's graded classes: one AST edit per mutant.

No mutation tool fits classes that live in notebook cells and are graded by executing test cells
(mutmut and cosmic-ray mutate files on disk and run a test command per mutant), so this is a small
AST mutator of our own. Operators, each applied at every site it fits:

  arithmetic     + <-> -, * <-> /, @ -> *, ** -> *; operands of -, /, @, ** swapped; -x -> x
  augmented      -= <-> +=, x op= y -> x = y
  comparison     > <-> >=, < <-> <=, == <-> !=
  constants      n -> n + 1, n - 1 (ints); x -> 2x, x / 2 (floats); True <-> False
  keywords       axis 0 <-> 1; keepdims flipped; a keyword argument dropped
  calls          .max <-> .mean <-> .sum <-> .min; np.maximum <-> np.minimum; .copy() dropped;
                 reversed(x) -> x; zeros_like -> ones_like
  slices         x[a:b] -> x (a dropped or extra element)
  statements     each statement of a method body dropped (replaced by pass)

Mutants are named ``<cell>:<operator>:<line>:<n>`` where n counts that operator's sites on that line:
stable while the solution is unchanged, and readable in the decisions file.
"""
import ast
import copy
import dataclasses

SWAP_BIN = {ast.Add: [ast.Sub], ast.Sub: [ast.Add], ast.Mult: [ast.Div], ast.Div: [ast.Mult],
            ast.MatMult: [ast.Mult], ast.Pow: [ast.Mult]}
NON_COMMUTATIVE = (ast.Sub, ast.Div, ast.MatMult, ast.Pow)
SWAP_CMP = {ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Eq: ast.NotEq,
            ast.NotEq: ast.Eq}
REDUCTIONS = ("max", "mean", "sum", "min")
SWAP_FUNC = {"maximum": "minimum", "minimum": "maximum", "zeros_like": "ones_like"}


@dataclasses.dataclass(frozen=True)
class Mutant:
    cell: str
    name: str           # <cell>:<operator>:<line>:<n>
    operator: str
    line: int
    description: str    # what changed, as source text
    source: str         # the whole mutated cell


class _Sites(ast.NodeTransformer):
    """Counts mutation sites in order; with ``target`` set, applies that one site and stops."""

    def __init__(self, target=None):
        self.target, self.sites, self.applied = target, [], None

    def offer(self, node, operator, alternatives):
        """alternatives: [(description, replacement node)]; return the replacement if it is the target."""
        for description, replacement in alternatives:
            index = len(self.sites)
            self.sites.append((operator, node.lineno, description))
            if index == self.target:
                self.applied = index
                return ast.copy_location(replacement, node)
        return None

    def visit(self, node):
        if self.applied is not None:
            return node
        return super().visit(node)

    def _then_children(self, node, replacement):
        return replacement if replacement is not None else self.generic_visit(node)

    def visit_BinOp(self, node):
        alternatives = [(f"{_op(node.op)} -> {_op(new())}", ast.BinOp(node.left, new(), node.right))
                        for new in SWAP_BIN.get(type(node.op), [])]
        if isinstance(node.op, NON_COMMUTATIVE):
            alternatives.append((f"operands of {_op(node.op)} swapped", ast.BinOp(node.right, node.op, node.left)))
        return self._then_children(node, self.offer(node, "arithmetic", alternatives))

    def visit_UnaryOp(self, node):
        alternatives = [("-x -> x", node.operand)] if isinstance(node.op, ast.USub) else []
        return self._then_children(node, self.offer(node, "arithmetic", alternatives))

    def visit_AugAssign(self, node):
        alternatives = [(f"{_op(node.op)}= -> {_op(new())}=", ast.AugAssign(node.target, new(), node.value))
                        for new in SWAP_BIN.get(type(node.op), []) if new in (ast.Add, ast.Sub)]
        alternatives.append((f"{_op(node.op)}= -> =", ast.Assign([node.target], node.value)))
        return self._then_children(node, self.offer(node, "augmented", alternatives))

    def visit_Compare(self, node):
        alternatives = []
        if len(node.ops) == 1 and type(node.ops[0]) in SWAP_CMP:
            new = SWAP_CMP[type(node.ops[0])]()
            alternatives.append((f"{_op(node.ops[0])} -> {_op(new)}", ast.Compare(node.left, [new], node.comparators)))
        return self._then_children(node, self.offer(node, "comparison", alternatives))

    def visit_Constant(self, node):
        value, alternatives = node.value, []
        if isinstance(value, bool):
            alternatives.append((f"{value} -> {not value}", ast.Constant(not value)))
        elif isinstance(value, int):
            alternatives += [(f"{value} -> {value + 1}", ast.Constant(value + 1)),
                             (f"{value} -> {value - 1}", ast.Constant(value - 1))]
        elif isinstance(value, float):
            alternatives += [(f"{value!r} -> {value * 2!r}", ast.Constant(value * 2)),
                             (f"{value!r} -> {value / 2!r}", ast.Constant(value / 2))]
        return self.offer(node, "constant", alternatives) or node

    def visit_Call(self, node):
        alternatives = []
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in REDUCTIONS:
            alternatives += [(f".{func.attr} -> .{other}",
                              _call_with(node, ast.Attribute(func.value, other, ast.Load())))
                             for other in REDUCTIONS if other != func.attr]
        if isinstance(func, ast.Attribute) and func.attr in SWAP_FUNC:
            other = SWAP_FUNC[func.attr]
            alternatives.append((f"{func.attr} -> {other}", _call_with(node, ast.Attribute(func.value, other,
                                                                                           ast.Load()))))
        if isinstance(func, ast.Attribute) and func.attr == "copy" and not node.args:
            alternatives.append((".copy() dropped", func.value))
        if isinstance(func, ast.Name) and func.id == "reversed" and len(node.args) == 1:
            alternatives.append(("reversed(x) -> x", node.args[0]))
        for index, keyword in enumerate(node.keywords):
            alternatives += [(f"{keyword.arg}={d}", _call_with(node, func, keywords=k))
                             for d, k in _keyword_variants(node.keywords, index)]
        return self._then_children(node, self.offer(node, "call", alternatives))

    def visit_Subscript(self, node):
        alternatives = []
        if isinstance(node.slice, ast.Slice):
            alternatives.append((f"[{ast.unparse(node.slice)}] dropped", node.value))
        return self._then_children(node, self.offer(node, "slice", alternatives))

    def visit_FunctionDef(self, node):
        node.body = self._statements(node.body)
        return self.generic_visit(node)

    def visit_For(self, node):
        node.body = self._statements(node.body)
        return self.generic_visit(node)

    def visit_If(self, node):
        node.body = self._statements(node.body)
        return self.generic_visit(node)

    def _statements(self, body):
        out = []
        for statement in body:
            if _is_docstring(statement) or isinstance(statement, ast.Pass):
                out.append(statement)
                continue
            replaced = self.offer(statement, "statement", [(f"dropped: {ast.unparse(statement)[:60]}", ast.Pass())])
            out.append(replaced if replaced is not None else statement)
        return out


def _keyword_variants(keywords, index):
    """(description, keywords) for the keyword at ``index``: its value changed, or dropped."""
    keyword = keywords[index]
    rest = keywords[:index] + keywords[index + 1:]
    variants = [("dropped", rest)]
    value = keyword.value
    if keyword.arg == "axis" and isinstance(value, ast.Constant) and value.value in (0, 1):
        variants.append((f"{1 - value.value}", rest[:index] + [ast.keyword("axis", ast.Constant(1 - value.value))]
                         + rest[index:]))
    if keyword.arg == "keepdims" and isinstance(value, ast.Constant) and isinstance(value.value, bool):
        variants.append((f"{not value.value}", rest[:index] + [ast.keyword("keepdims", ast.Constant(not value.value))]
                         + rest[index:]))
    return variants


def _call_with(node, func, keywords=None):
    return ast.Call(func, node.args, node.keywords if keywords is None else keywords)


def _is_docstring(statement):
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant) \
        and isinstance(statement.value.value, str)


def _op(op):
    return {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.MatMult: "@", ast.Pow: "**",
            ast.Gt: ">", ast.GtE: ">=", ast.Lt: "<", ast.LtE: "<=", ast.Eq: "==", ast.NotEq: "!="}[type(op)]


def mutants(cell, source):
    """Every mutant of one cell's source."""
    tree = ast.parse(source)
    counter = _Sites()
    counter.visit(copy.deepcopy(tree))
    seen, found = {}, []
    for index, (operator, line, description) in enumerate(counter.sites):
        applier = _Sites(target=index)
        mutated = ast.fix_missing_locations(applier.visit(copy.deepcopy(tree)))
        n = seen[(operator, line)] = seen.get((operator, line), 0) + 1
        found.append(Mutant(cell, f"{cell}:{operator}:{line}:{n}", operator, line, description,
                            ast.unparse(mutated)))
    return found
