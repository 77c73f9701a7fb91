"""``python -m drydock.frameworks train``: the training toolkit's ``train`` console script."""

from __future__ import annotations

import sys

from drydock.frameworks.runner import train


def main(argv: list[str]) -> int:
    # SageMaker runs framework images as ``docker run <image> train``; accept the same verb.
    if argv[1:] != ["train"]:
        print("usage: python -m drydock.frameworks train", file=sys.stderr)
        return 2
    return train()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
