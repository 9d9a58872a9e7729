#!/usr/bin/env python3
"""Host Transformers Playground on a SageMaker notebook instance, and serve its models from SageMaker endpoints.

    python sagemaker_launcher.py launch --name NAME --role-arn ARN
    python sagemaker_launcher.py {status,url,stop,delete} --name NAME
    python sagemaker_launcher.py endpoint-deploy --name NAME --task TASK --role-arn ARN
    python sagemaker_launcher.py {jumpstart-deploy,endpoint-list,endpoint-delete} ...

`python sagemaker_launcher.py COMMAND --help` lists each command's flags; docs/aws.md walks through them.
The commands live in deploy/ (boto3 only: the launcher runs without torch or gradio installed).
"""

import sys

from deploy.cli import main

if __name__ == "__main__":
    sys.exit(main())
