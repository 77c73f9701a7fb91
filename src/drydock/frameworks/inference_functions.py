"""The handler functions of a script, resolved against a framework's defaults as the toolkit does.

``sagemaker-inference``'s ``Transformer._validate_user_module_and_set_functions``: each of
``model_fn``, ``input_fn``, ``predict_fn``, ``output_fn`` comes from the user's module when it defines
it, else from the framework's defaults; ``transform_fn`` replaces the last three and may not be mixed
with any of them (a ``ValueError`` at start-up, worded as the toolkit words it); ``pre_model_fn`` and
``model_warmup_fn`` are optional hooks around ``model_fn``.

Each function is called with the classic arguments, or with one more, the request ``context``, when
it takes exactly one more (toolkit ``_run_handler_function``, by parameter count). The count is taken
once here, not per request.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from drydock.frameworks.inference_context import InferenceContext
from drydock.frameworks.inference_defaults import DefaultInference

MIXED_TRANSFORM_FN = (
    "Cannot use transform_fn implementation in conjunction with input_fn, predict_fn, and/or output_fn implementation"
)


class HandlerFunction:
    """One handler function and how many positional arguments it takes."""

    def __init__(self, function: Callable[..., Any], arity: int) -> None:
        self.function = function
        self.name = getattr(function, "__name__", repr(function))
        self.arity = arity
        self.takes_context = _takes_context(function, arity)

    def __call__(self, *args: Any, context: InferenceContext) -> Any:
        if self.takes_context:
            return self.function(*args, context)
        return self.function(*args)


def _takes_context(function: Callable[..., Any], arity: int) -> bool:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # some builtins and C extensions have no signature to read
        return False
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters):
        return True
    count = len(parameters)
    if count == arity:
        return False
    if count == arity + 1:
        return True
    name = getattr(function, "__name__", repr(function))
    raise TypeError(f"{name} takes {count} arguments but {arity} were given.")


@dataclass(frozen=True)
class InferenceFunctions:
    model_fn: HandlerFunction
    input_fn: HandlerFunction
    predict_fn: HandlerFunction
    output_fn: HandlerFunction
    #: The user's ``transform_fn``, or None to chain input_fn → predict_fn → output_fn.
    transform_fn: HandlerFunction | None
    pre_model_fn: HandlerFunction | None
    model_warmup_fn: HandlerFunction | None

    @classmethod
    def resolve(cls, module: ModuleType | None, defaults: DefaultInference) -> InferenceFunctions:
        """The functions to serve with; raises ``ValueError`` when transform_fn is mixed with the others."""

        def user(name: str) -> Callable[..., Any] | None:
            found = getattr(module, name, None) if module is not None else None
            return found if callable(found) else None

        transform_fn = user("transform_fn")
        if transform_fn is not None and any(user(n) for n in ("input_fn", "predict_fn", "output_fn")):
            raise ValueError(MIXED_TRANSFORM_FN)
        pre_model_fn, warmup_fn = user("pre_model_fn"), user("model_warmup_fn")
        return cls(
            model_fn=HandlerFunction(user("model_fn") or defaults.default_model_fn, 1),
            input_fn=HandlerFunction(user("input_fn") or defaults.default_input_fn, 2),
            predict_fn=HandlerFunction(user("predict_fn") or defaults.default_predict_fn, 2),
            output_fn=HandlerFunction(user("output_fn") or defaults.default_output_fn, 2),
            transform_fn=HandlerFunction(transform_fn, 4) if transform_fn is not None else None,
            pre_model_fn=HandlerFunction(pre_model_fn, 1) if pre_model_fn is not None else None,
            model_warmup_fn=HandlerFunction(warmup_fn, 2) if warmup_fn is not None else None,
        )

    def load(self, model_dir: Path, context: InferenceContext) -> Any:
        """``pre_model_fn``, ``model_fn`` and ``model_warmup_fn``, in that order; the model."""
        if self.pre_model_fn is not None:
            self.pre_model_fn(str(model_dir), context=context)
        model = self.model_fn(str(model_dir), context=context)
        if self.model_warmup_fn is not None:
            self.model_warmup_fn(str(model_dir), model, context=context)
        return model

    def transform(
        self, model: Any, data: str | bytes, content_type: str, accept: str, context: InferenceContext
    ) -> Any:
        """What ``transform_fn`` (or the default chain) returns: a body, or a ``(body, content_type)`` tuple."""
        if self.transform_fn is not None:
            return self.transform_fn(model, data, content_type, accept, context=context)
        decoded = self.input_fn(data, content_type, context=context)
        prediction = self.predict_fn(decoded, model, context=context)
        return self.output_fn(prediction, accept, context=context)
