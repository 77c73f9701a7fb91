"""SageMaker's built-in algorithms, run as programs that implement the training container contract.

Each algorithm is a sub-package runnable as ``python -m drydock.algorithms.<name> train`` (SageMaker
starts its algorithm images as ``docker run <image> train``); :mod:`drydock.algorithms.registry`
recognises an image URI by its ECR repository name and says which program, content type, metric
definitions and hyperparameter validator go with it.
"""
