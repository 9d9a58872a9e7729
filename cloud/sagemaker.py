"""The SageMaker runtime backend: an endpoint called like the task's pipeline, and text generation in the
request format its container speaks (the Hugging Face inference toolkit's, or JumpStart's text-generation script)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cloud import aws
from models.errors import InputError, ModelUnavailable
from models.remote import SAGEMAKER_PREFIX, GenerationRequest

TRANSIENT_CODES = {"ThrottlingException", "Throttling", "TooManyRequestsException", "ModelNotReadyException",
                   "ServiceUnavailable", "ServiceUnavailableException"}

# Request formats for text generation. The Hugging Face inference toolkit runs
# pipeline(inputs, **parameters); JumpStart's huggingface-textgeneration-* models run JumpStart's own script,
# which takes {"text_inputs", "max_length", ...} and answers {"generated_text"} or {"generated_texts"}.
HUGGINGFACE = "huggingface"
JUMPSTART_TEXT = "jumpstart-text"
# Tags naming a JumpStart model: this project's launcher, the SageMaker SDK, SageMaker Studio.
JUMPSTART_TAGS = ("jumpstart-model", "sagemaker-sdk:jumpstart-model-id", "sagemaker-studio:jumpstart-model-id",
                  "sm-jumpstart-id")
JUMPSTART_TEXT_MODELS = "huggingface-textgeneration"  # model ids served by JumpStart's text-generation script
# The generate() settings JumpStart's script accepts (it refuses any other key).
JUMPSTART_SETTINGS = ("max_new_tokens", "do_sample", "temperature", "top_k", "top_p", "num_beams",
                      "num_return_sequences", "no_repeat_ngram_size")


class Endpoint:
    """A SageMaker endpoint, the RemoteModel of models.remote for "sagemaker:NAME".

    Called like a transformers pipeline, `endpoint(inputs, **parameters)`: the Hugging Face inference
    container runs `pipeline(inputs, **parameters)` and returns its JSON. `generate` speaks whichever
    request format the endpoint's container takes, read once from the endpoint's tags.
    """

    def __init__(self, endpoint_name: str, region: str | None = None, client: Any = None, control: Any = None,
                 timeout: float = 60.0, attempts: int = 4, base_delay: float = 0.5,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        problem = aws.name_problem(endpoint_name)
        if problem:
            raise InputError(problem)
        self.endpoint_name = endpoint_name
        self.name = f"{SAGEMAKER_PREFIX}{endpoint_name}"
        self.region = region
        self.timeout = timeout
        self.attempts = attempts
        self.base_delay = base_delay
        self._sleep = sleep
        self._clients = {"sagemaker-runtime": client, "sagemaker": control}
        self._client_lock = threading.Lock()
        self._format_lock = threading.Lock()  # one thread reads the tags; the others wait for its answer
        self._format: str | None = None

    def __repr__(self) -> str:
        return f"Endpoint({self.endpoint_name!r}, region={self.region!r})"

    def __call__(self, inputs: Any, **parameters: Any) -> Any:
        """Send {"inputs", "parameters"} as JSON and return the decoded JSON answer."""
        return self.invoke({"inputs": inputs, "parameters": parameters})

    def invoke(self, body: dict[str, Any]) -> Any:
        """Send `body` as JSON, retrying while throttled; the decoded JSON answer."""
        payload = json.dumps(body)
        response = self._call(lambda: self._client("sagemaker-runtime").invoke_endpoint(
            EndpointName=self.endpoint_name, Body=payload, ContentType="application/json",
            Accept="application/json"))
        return self._decode(response)

    @staticmethod
    def request_code(endpoint_name: str, body: dict[str, Any]) -> str:
        """boto3 code that sends `body` to the endpoint and prints its JSON answer (Show code)."""
        return (
            "import json\n\nimport boto3\n\n"
            "# The endpoint's container reads this JSON: the Hugging Face inference container runs transformers'\n"
            "# pipeline on {inputs, parameters}; JumpStart's text-generation script takes {text_inputs, ...}.\n"
            "runtime = boto3.client(\"sagemaker-runtime\")\n"
            f"body = json.dumps({body!r})\n"
            f"response = runtime.invoke_endpoint(EndpointName={endpoint_name!r}, Body=body, "
            "ContentType=\"application/json\", Accept=\"application/json\")\n"
            "print(json.loads(response[\"Body\"].read()))\n"
        )

    # ---- text generation ------------------------------------------------------------------------

    def payload_format(self) -> str:
        """HUGGINGFACE or JUMPSTART_TEXT, from the endpoint's tags (read on first use, then kept)."""
        with self._format_lock:
            if self._format is None:
                sm = self._client("sagemaker")
                arn = self._call(lambda: sm.describe_endpoint(EndpointName=self.endpoint_name))["EndpointArn"]
                tags = {tag["Key"]: tag["Value"] for tag in self._call(lambda: sm.list_tags(ResourceArn=arn))["Tags"]}
                model = next((tags[key] for key in JUMPSTART_TAGS if key in tags), "")
                self._format = JUMPSTART_TEXT if model.startswith(JUMPSTART_TEXT_MODELS) else HUGGINGFACE
            return self._format

    def generate_body(self, request: GenerationRequest) -> dict[str, Any]:
        """The request body for this endpoint's container; InputError names a setting it cannot honour."""
        if self.payload_format() == JUMPSTART_TEXT:
            return _jumpstart_body(request)
        # The pipeline returns the prompt plus the continuation (return_full_text), one dict per sequence.
        # The toolkit has no seed: sampled text differs from call to call.
        return {"inputs": request.prompt, "parameters": {**request.generate_kwargs, "return_full_text": True}}

    def generate(self, request: GenerationRequest) -> list[str]:
        """The full texts (prompt included), one per sequence."""
        answer = self.invoke(self.generate_body(request))
        # The toolkit: [{"generated_text"}], one per sequence; JumpStart's script: {"generated_text(s)"}.
        items = answer
        if isinstance(answer, dict):
            items = answer.get("generated_texts") or [answer.get("generated_text")]
        texts = [item.get("generated_text") if isinstance(item, dict) else item
                 for item in (items if isinstance(items, list) else [None])]
        if not texts or not all(isinstance(text, str) for text in texts):
            raise ModelUnavailable(f"SageMaker endpoint {self.endpoint_name!r} answered without generated text "
                                   f"({json.dumps(answer)[:200]}); is it a text-generation model?")
        # JumpStart's script returns the continuation alone in some versions, prompt included in others.
        return [text if text.startswith(request.prompt) else request.prompt + text for text in texts]

    # ---- calls and their failures -----------------------------------------------------------------

    def _client(self, service: str) -> Any:
        with self._client_lock:
            if self._clients[service] is None:
                # A session of its own: boto3's default one would keep credentials read long ago.
                import boto3  # imported on first use: the app starts ~0.1 s sooner
                self._clients[service] = boto3.session.Session().client(
                    service, region_name=self.region, config=aws.client_config(read_timeout=self.timeout))
            return self._clients[service]

    def _call(self, call: Callable[[], Any]) -> Any:
        """`call()` retried while throttled; any failure as a ModelUnavailable that says what to do."""
        name = self.endpoint_name
        try:
            return aws.with_backoff(call, _is_transient, self.attempts, self.base_delay, self._sleep)
        except ClientError as exc:
            raise self._unavailable(exc) from exc
        except BotoCoreError as exc:
            raise ModelUnavailable(aws.transport_problem(
                exc, f"SageMaker endpoint {name!r}",
                f"the limit is {self.timeout:g} s. Try again, or a shorter input.")) from exc

    def _region(self) -> str:
        client = next((client for client in self._clients.values() if client is not None), None)
        return (client.meta.region_name if client is not None else self.region) or "the configured region"

    def _decode(self, response: dict) -> Any:
        raw = response["Body"].read()
        try:
            return json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            kind = response.get("ContentType", "unknown content type")
            raise ModelUnavailable(f"SageMaker endpoint {self.endpoint_name!r} answered with something that is "
                                   f"not JSON ({kind}): {raw[:200]!r}") from exc

    def _unavailable(self, exc: ClientError) -> ModelUnavailable:
        code, message, name = aws.error_code(exc), aws.error_message(exc), self.endpoint_name
        if code in ("ValidationError", "ValidationException") and any(
                hint in message.lower() for hint in ("not found", "could not find")):
            return ModelUnavailable(
                f"The SageMaker endpoint {name!r} does not exist in {self._region()}. Deploy it with "
                f"`python sagemaker_launcher.py endpoint-deploy --name {name} --task TASK --role-arn ARN`, "
                "or check the region (AWS_DEFAULT_REGION).")
        if code == "ModelError":
            original = exc.response.get("OriginalMessage") or message
            status = exc.response.get("OriginalStatusCode")
            return ModelUnavailable(f"The model behind SageMaker endpoint {name!r} failed"
                                    f"{f' (status {status})' if status else ''}: {str(original)[:400]}")
        if _is_transient(exc):
            return ModelUnavailable(f"SageMaker endpoint {name!r} is busy or not ready ({code}) after "
                                    f"{self.attempts} tries; try again in a minute.")
        if code in ("AccessDeniedException", "AccessDenied"):
            return ModelUnavailable(f"Not allowed to call {exc.operation_name} on SageMaker endpoint {name!r}: give "
                                    f"the app's IAM user or role sagemaker:{exc.operation_name} on it "
                                    "(assets/iam/sagemaker-invoke.json).")
        return ModelUnavailable(f"SageMaker endpoint {name!r} could not serve ({code}): {message}")


def _is_transient(exc: Exception) -> bool:
    return isinstance(exc, ClientError) and (aws.error_code(exc) in TRANSIENT_CODES or aws.http_status(exc) == 429)


def _jumpstart_body(request: GenerationRequest) -> dict[str, Any]:
    """JumpStart's text-generation request: its length limit counts the prompt, and it knows fewer settings."""
    settings = dict(request.generate_kwargs)
    refused = [key for key in settings if key not in JUMPSTART_SETTINGS]
    if refused:
        raise InputError(f"This JumpStart endpoint does not take {', '.join(refused)}: reset "
                         f"{'it' if len(refused) == 1 else 'them'} to the default, or serve the model with "
                         "`sagemaker_launcher.py endpoint-deploy` (the Hugging Face container takes every setting).")
    if settings.get("do_sample") and settings.get("num_return_sequences", 1) > 1:
        # The script gives several sequences only with as many beams, which turns sampling into beam sampling.
        raise InputError("This JumpStart endpoint samples one sequence at a time: ask for 1 sequence, "
                         "or use beam search for several.")
    new_tokens = settings.pop("max_new_tokens")
    body: dict[str, Any] = {"text_inputs": request.prompt,
                            "max_length": request.count_tokens(request.prompt) + new_tokens, **settings}
    if settings.get("do_sample"):
        body["seed"] = request.seed
    return body
