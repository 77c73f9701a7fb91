"""Script mode for SageMaker framework images (scikit-learn, PyTorch, TensorFlow, Hugging Face, XGBoost).

A job whose image is a framework image runs the user's own entry point, as SageMaker's training
toolkit does inside those containers: :mod:`drydock.frameworks.registry` decides whether a job is
script mode, and ``python -m drydock.frameworks train`` (:mod:`drydock.frameworks.runner`) stages the
``sagemaker_submit_directory`` into ``/opt/ml/code``, installs ``requirements.txt`` into a cached
virtual environment (:mod:`drydock.frameworks.venv_cache`) and runs ``sagemaker_program``.

Serving works the same way for a model whose image is a framework inference image
(:func:`drydock.frameworks.registry.is_script_mode_serving`): ``python -m drydock.frameworks serve``
(:mod:`drydock.frameworks.serving_runner`) stages ``SAGEMAKER_SUBMIT_DIRECTORY``, installs its
``requirements.txt`` the same way, and serves the user's ``inference.py`` with the inference toolkit's
conventions (:mod:`drydock.frameworks.serving`: ``model_fn``, ``input_fn``, ``predict_fn``,
``output_fn`` or ``transform_fn``, and each framework's defaults) behind the model server.
"""
