"""``python -m drydock.frameworks train|serve``: the framework images' ``train`` and ``serve`` entry points."""

from __future__ import annotations

import sys

USAGE = "usage: python -m drydock.frameworks train | serve [--framework sklearn|pytorch|xgboost]"


def main(argv: list[str]) -> int:
    # SageMaker runs framework images as ``docker run <image> train`` or ``... serve``; accept the same verbs.
    args = argv[1:]
    if args == ["train"]:
        from drydock.frameworks.runner import train

        return train()
    if args[:1] == ["serve"] and (len(args) == 1 or (len(args) == 3 and args[1] == "--framework")):
        from drydock.frameworks.serving_runner import serve

        return serve(args[2] if len(args) == 3 else None, args)
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
