"""The launcher behind sagemaker_launcher.py: notebook instances, endpoints, JumpStart; the app never imports it."""
