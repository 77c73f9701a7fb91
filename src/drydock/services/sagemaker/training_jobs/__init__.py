"""SageMaker training jobs: CreateTrainingJob, DescribeTrainingJob, ListTrainingJobs, StopTrainingJob."""
