"""Serving a framework model in script mode: the user's ``inference.py`` behind the model server.

This is what the inference toolkit inside SageMaker's scikit-learn, PyTorch and XGBoost images does
(``sagemaker-inference`` ``Transformer``; ``sagemaker-containers`` for the older images):

1. at start-up, import ``SAGEMAKER_PROGRAM`` from the code directory (:mod:`.serving_code`; the
   ``requirements.txt`` there was installed by ``python -m drydock.frameworks serve``, which also
   picked the framework), resolve its handler functions against the framework's defaults
   (:mod:`.inference_functions`) and load the model with ``model_fn``;
2. per request: a missing or ``*/*`` Accept becomes ``SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT`` (default
   ``application/json``), a missing Content-Type ``application/json``; JSON and CSV bodies reach the
   script as ``str``, others as ``bytes``; ``transform_fn`` (or ``input_fn`` → ``predict_fn`` →
   ``output_fn``) runs; a ``(body, content_type)`` tuple sets the response type, else the Accept does.

An exception from the user's code is answered 500 with its message (the runtime turns that into
``ModelError`` with it as OriginalMessage) and its traceback goes to stdout, the endpoint's log, as the
toolkit prints it; 415/406/400 come from the default codecs.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

from drydock.frameworks.content_codecs import ANY, JSON, UTF8_TYPES, accepted_types, media_type
from drydock.frameworks.inference_context import CUSTOM_ATTRIBUTES, InferenceContext
from drydock.frameworks.inference_defaults import DefaultInference, SklearnInference, XGBoostInference
from drydock.frameworks.inference_functions import InferenceFunctions
from drydock.serving.model_server.handler import InferenceRequest, InferenceResponse, ModelHandlerError

DEFAULT_ACCEPT_VARIABLE = "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT"
#: The toolkit's module name when ``SAGEMAKER_PROGRAM`` is not set.
DEFAULT_PROGRAM = "inference.py"
FRAMEWORKS = ("sklearn", "pytorch", "xgboost")


def defaults_for(framework: str) -> DefaultInference:
    """The framework's default handler functions; raises ``ValueError`` for an unknown framework."""
    if framework == "sklearn":
        return SklearnInference()
    if framework == "xgboost":
        return XGBoostInference()
    if framework == "pytorch":
        # torch takes seconds to import; only PyTorch models pay for it.
        from drydock.frameworks.torch_inference import TorchInference

        return TorchInference()
    raise ValueError(f"unknown framework {framework!r}: expected one of {', '.join(FRAMEWORKS)}")


def detect_framework(model_dir: Path) -> str:
    """The framework of a model served without ``--framework``, from its files: TorchScript
    (``*.pt``/``*.pth``) is PyTorch, ``xgboost-model`` (the name SageMaker's XGBoost writes) XGBoost,
    anything else scikit-learn, whose defaults (``model.predict``) suit most other models too."""
    names = {p.name for p in model_dir.iterdir()} if model_dir.is_dir() else set()
    if any(name.endswith((".pt", ".pth")) for name in names):
        return "pytorch"
    if "xgboost-model" in names:
        return "xgboost"
    return "sklearn"


class ScriptModeHandler:
    """A :class:`~drydock.serving.model_server.handler.ModelHandler` for a user's inference script."""

    def __init__(
        self,
        defaults: DefaultInference,
        code_dir: Path | None,
        program: str | None,
        default_accept: str = JSON,
    ) -> None:
        self.defaults = defaults
        self.code_dir = code_dir
        self.program = program
        self.default_accept = default_accept or JSON
        self.model: Any = None
        self.model_dir = Path(".")
        self._functions: InferenceFunctions | None = None

    def load(self, model_dir: Path) -> None:
        self.model_dir = model_dir
        module = self._import_user_module()
        functions = InferenceFunctions.resolve(module, self.defaults)
        self.model = functions.load(model_dir, InferenceContext(model_dir))
        self._functions = functions

    def invoke(self, request: InferenceRequest) -> InferenceResponse:
        functions = self._functions
        if functions is None:
            raise ModelHandlerError(503, "the model is not loaded yet")
        content_type = request.content_type or JSON
        accept = request.accept.strip() if request.accept else ""
        if not accept or accept == ANY:
            accept = self.default_accept
        data: str | bytes = request.body
        if media_type(content_type) in UTF8_TYPES:
            try:
                data = request.body.decode("utf-8")
            except UnicodeDecodeError as error:
                raise ModelHandlerError(400, f"The request body is not UTF-8 text ({content_type}): {error}") from None
        headers = {"Content-Type": content_type, "Accept": accept}
        if request.custom_attributes is not None:
            headers[CUSTOM_ATTRIBUTES] = request.custom_attributes
        context = InferenceContext(self.model_dir, headers)
        try:
            result = functions.transform(self.model, data, content_type, accept, context)
            body, response_type = _response(result, accept)
        except ModelHandlerError:
            raise
        except Exception as error:
            # The toolkit prints the traceback to the container log; the client gets the message.
            _print_user_traceback(error)
            raise ModelHandlerError(_status_of(error), str(error) or type(error).__name__) from error
        return InferenceResponse(body, response_type, context.response_custom_attributes)

    def _import_user_module(self) -> ModuleType | None:
        program = self.program or DEFAULT_PROGRAM
        path = self.code_dir / program if self.code_dir is not None else None
        if path is None or not path.is_file():
            if self.program:
                where = self.code_dir or "the model (no SAGEMAKER_SUBMIT_DIRECTORY and no code/ directory)"
                raise FileNotFoundError(f"SAGEMAKER_PROGRAM {self.program} not found in {where}")
            # The toolkit serves with the defaults alone when there is no inference.py.
            return None
        assert self.code_dir is not None
        code = str(self.code_dir)
        if code not in sys.path:
            # On sys.path so the script's own modules import, and on PYTHONPATH for its subprocesses.
            sys.path.insert(0, code)
            os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (code, os.environ.get("PYTHONPATH")) if p)
        name = program.removesuffix(".py").replace("/", ".")
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module


def _response(result: Any, accept: str) -> tuple[bytes, str]:
    body, content_type = result if isinstance(result, tuple) and len(result) == 2 else (result, None)
    if content_type is None:
        # The toolkit answers with the Accept; of a list, the first type is the one to name.
        content_type = next(iter(accepted_types(accept)), accept)
    if isinstance(body, str):
        return body.encode("utf-8"), str(content_type)
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body), str(content_type)
    raise TypeError(
        f"output_fn/transform_fn must return bytes or str (or a tuple of one and its content type), "
        f"not {type(body).__name__}"
    )


def _print_user_traceback(error: Exception) -> None:
    """The traceback from the first frame outside this package (the user's function) on, to stdout."""
    here = str(Path(__file__).parent)
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(here):
        tb = tb.tb_next
    # An error in one of our defaults (no user frame at all) keeps the whole traceback.
    traceback.print_exception(type(error), error, tb or error.__traceback__, file=sys.stdout)
    sys.stdout.flush()


def _status_of(error: Exception) -> int:
    # The toolkit's BaseInferenceToolkitError carries the status to answer with; scripts written for it
    # raise their own subclasses, which duck-type the same way here.
    status = getattr(error, "status_code", None)
    return status if isinstance(status, int) and 400 <= status <= 599 else 500
