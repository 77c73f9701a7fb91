"""SageMaker Models: CreateModel, DescribeModel, ListModels, DeleteModel."""
