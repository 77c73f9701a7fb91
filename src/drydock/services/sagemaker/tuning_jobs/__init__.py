"""SageMaker hyperparameter tuning jobs: Create/Describe/List/Stop/DeleteHyperParameterTuningJob and
ListTrainingJobsForHyperParameterTuningJob. The search itself runs in :mod:`drydock.tuning`."""
