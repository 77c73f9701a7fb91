"""``python -m drydock.frameworks train|serve``: the framework images' ``train`` and ``serve`` entry points."""

from __future__ import annotations

import importlib
import sys

USAGE = "usage: python -m drydock.frameworks train | serve [--framework sklearn|pytorch|xgboost]"


def main(argv: list[str]) -> int:
    """``argv`` is the command line after the program's name (``["serve", "--framework", "sklearn"]``)."""
    # SageMaker runs framework images as ``docker run <image> train`` or ``... serve``; accept the same verbs.
    args = argv
    if args == ["train"]:
        from drydock.frameworks.runner import train

        return train()
    if args[:1] == ["serve"] and (len(args) == 1 or (len(args) == 3 and args[1] == "--framework")):
        from drydock.frameworks.serving_runner import serve

        return serve(args[2] if len(args) == 3 else None, args)
    print(USAGE, file=sys.stderr)
    return 2


#: What a model of each framework loads with. For scikit-learn: its core (``sklearn.base``, 1.3 s
#: here) and the estimators most models are made of (0.2 s more).
WARM_IMPORTS = {
    "sklearn": (
        "joblib",
        "sklearn.base",
        "sklearn.pipeline",
        "sklearn.preprocessing",
        "sklearn.linear_model",
        "sklearn.ensemble",
    ),
    "xgboost": ("xgboost",),
    "pytorch": ("torch",),
}


def warm_up(argv: list[str]) -> None:
    """What a warm worker (drydock.engine.launchers.warm_worker) imports before a replica takes it:
    the model server and, for ``serve --framework <name>``, the framework's serving defaults and the
    libraries a model of that framework loads with: the second or two a cold replica spends before
    it reads the model."""
    from drydock.frameworks import serving
    from drydock.serving.model_server import http_server  # noqa: F401  (uvloop and httptools come with it)

    framework = argv[2] if argv[:2] == ["serve", "--framework"] and len(argv) == 3 else None
    if framework in serving.FRAMEWORKS:
        for module in WARM_IMPORTS.get(framework, ()):
            importlib.import_module(module)
        serving.defaults_for(framework)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
