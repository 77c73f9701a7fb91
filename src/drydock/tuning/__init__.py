"""Hyperparameter tuning: search strategies on Optuna, early stopping, warm start, the tuning reconciler.

Knows nothing of HTTP: the services layer validates CreateHyperParameterTuningJob and stores the job;
:mod:`.reconciler` drives it, launching and stopping child training jobs through the
:class:`~drydock.tuning.port.TrainingJobs` port, which the services layer implements with the very
code of CreateTrainingJob and StopTrainingJob.
"""
