"""The job engine: runs training (and later processing and transform) work; knows nothing of HTTP.

``contract`` owns the SageMaker container contract (the ``/opt/ml`` tree and the ``SM_*``
environment), so built-in algorithms, framework scripts and bring-your-own programs all go through
the same door.
"""
