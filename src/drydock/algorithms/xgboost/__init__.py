"""The built-in XGBoost algorithm (image repository ``sagemaker-xgboost``), in algorithm mode.

Reads the contract (``hyperparameters.json``, ``inputdataconfig.json``, channels ``train`` and
``validation``), validates hyperparameters under SageMaker's names, logs each round as
``[<round>]\\ttrain-<metric>:<value>``, checkpoints every round for spot restarts and writes
``/opt/ml/model/xgboost-model`` as SageMaker's container does. Importing this package is cheap: xgboost
is only imported by the training program itself.
"""
