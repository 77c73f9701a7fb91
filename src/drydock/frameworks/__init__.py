"""Script mode for SageMaker framework images (scikit-learn, PyTorch, TensorFlow, Hugging Face, XGBoost).

A job whose image is a framework image runs the user's own entry point, as SageMaker's training
toolkit does inside those containers: :mod:`drydock.frameworks.registry` decides whether a job is
script mode, and ``python -m drydock.frameworks train`` (:mod:`drydock.frameworks.runner`) stages the
``sagemaker_submit_directory`` into ``/opt/ml/code``, installs ``requirements.txt`` into a cached
virtual environment (:mod:`drydock.frameworks.venv_cache`) and runs ``sagemaker_program``.
"""
