"""Metric math for GetMetricData's Expression queries: arithmetic over the other queries' results.

Supported: query Ids, numbers, ``+ - * /``, unary minus and parentheses, e.g.
``100 * errors / invocations``. Two time series combine where both have a datapoint with the same
time stamp; a series and a number combine at every datapoint; a datapoint whose result is not a
finite number (division by zero) is left out, as CloudWatch leaves it out.

Functions (SUM, METRICS, FILL, RATE, ...) and Metrics Insights queries (``SELECT ...``) are not
supported: such an expression answers ValidationError naming what is.
"""

from __future__ import annotations

import ast
import datetime as dt
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass

from drydock.errors import ValidationError

Series = dict[dt.datetime, float]
Value = Series | float
_OPERATORS: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: lambda a, b: a / b if b else math.nan,
}
_SUPPORTED = "Drydock supports metric math with query Ids, numbers, + - * / and parentheses"


@dataclass(frozen=True)
class Expression:
    text: str
    tree: ast.expr
    #: The query Ids the expression reads.
    references: frozenset[str]

    @classmethod
    def parse(cls, text: str, member: str) -> Expression:
        if text.lstrip().upper().startswith("SELECT"):
            raise ValidationError(f"The value for parameter {member} is a Metrics Insights query; {_SUPPORTED}.")
        try:
            tree = ast.parse(text.strip(), mode="eval").body
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            raise ValidationError(f"The value {text} for parameter {member} is not a valid expression.") from None
        references: set[str] = set()
        _check(tree, text, member, references)
        if not references:
            raise ValidationError(f"The expression {text} for parameter {member} must reference at least one metric.")
        return cls(text, tree, frozenset(references))

    def evaluate(self, resolve: Callable[[str], Series]) -> Series:
        """The expression's series, reading each referenced query's through ``resolve``."""
        result = _evaluate(self.tree, resolve)
        assert isinstance(result, dict)  # parse() insists on a metric reference
        return result


def _check(node: ast.expr, text: str, member: str, references: set[str]) -> None:
    if isinstance(node, ast.Name):
        references.add(node.id)
    elif isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        if abs(node.value) > 1e300:
            raise ValidationError(f"A number in parameter {member} is out of range.")
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        _check(node.operand, text, member, references)
    elif isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        _check(node.left, text, member, references)
        _check(node.right, text, member, references)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        raise ValidationError(f"The function {node.func.id} in parameter {member} is not supported; {_SUPPORTED}.")
    else:
        raise ValidationError(f"The expression {text} for parameter {member} is not supported; {_SUPPORTED}.")


def _evaluate(node: ast.expr, resolve: Callable[[str], Series]) -> Value:
    if isinstance(node, ast.Name):
        return resolve(node.id)
    if isinstance(node, ast.Constant):
        assert isinstance(node.value, (int, float))  # parse() admits no other constant
        return float(node.value)
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, resolve)
        sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
        return _combine(sign, operand, operator.mul)
    assert isinstance(node, ast.BinOp)
    return _combine(_evaluate(node.left, resolve), _evaluate(node.right, resolve), _OPERATORS[type(node.op)])


def _combine(left: Value, right: Value, op: Callable[[float, float], float]) -> Value:
    if isinstance(left, dict) and isinstance(right, dict):
        pairs = {stamp: op(value, right[stamp]) for stamp, value in left.items() if stamp in right}
    elif isinstance(left, dict):
        assert isinstance(right, float)
        pairs = {stamp: op(value, right) for stamp, value in left.items()}
    elif isinstance(right, dict):
        pairs = {stamp: op(left, value) for stamp, value in right.items()}
    else:
        return op(left, right)
    return {stamp: value for stamp, value in pairs.items() if math.isfinite(value)}
