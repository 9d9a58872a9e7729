"""Amazon backends the app calls at run time: Bedrock (tabs/bedrock.py) and SageMaker endpoints (via models.remote)."""
