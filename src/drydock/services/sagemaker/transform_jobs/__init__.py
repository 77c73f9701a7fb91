"""SageMaker transform jobs: Create, Describe, List, Stop."""
