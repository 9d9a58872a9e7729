"""Amazon Bedrock: model lists, a streamed Converse chat, images, and the boto3 code for each (no gradio here)."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from cloud import aws
from cloud.aws import credentials_problem
from models import validate  # the app's input checks (they import only models.errors)
from models.errors import InputError, ModelUnavailable

__all__ = ["chat_code", "credentials_problem", "generate_images", "images_code", "list_chat_models",
           "list_image_models", "stream_chat"]

T = TypeVar("T")

MAX_TOKENS = 4096
MESSAGE_CHARS = 20_000
CONVERSATION_CHARS = 100_000
SYSTEM_CHARS = 10_000
STOP_SEQUENCES = 4  # the smallest limit among Bedrock's chat models (Titan's)
STOP_SEQUENCE_CHARS = 100
CHAT_TIMEOUT = 60.0  # seconds without a byte from Bedrock before giving up
IMAGE_TIMEOUT = 120.0
ATTEMPTS = 3
MODEL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,255}")  # model and inference profile ids: no slash
MODEL_ARN = re.compile(r"arn:aws(-[a-z]+)*:bedrock:[a-z0-9-]+:[0-9]*:[A-Za-z0-9._:/-]{1,1900}")
TRANSIENT_CODES = {"throttlingexception", "servicequotaexceededexception", "serviceunavailableexception",
                   "modelnotreadyexception"}

# Titan Image Generator and Nova Canvas share one request format; these sizes suit both.
IMAGE_MODEL_PREFIXES = ("amazon.titan-image-generator", "amazon.nova-canvas")
IMAGE_SIZES = ((512, 512), (768, 768), (1024, 1024), (1152, 768), (768, 1152), (1280, 768), (768, 1280))
IMAGE_COUNT = 5
IMAGE_SEED_MAX = 2_147_483_646
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
USAGE = ("input_tokens", "output_tokens", "total_tokens", "latency_ms", "stop_reason")  # a chat's usage, in order
LIST_DENIED = ("Not allowed to list Bedrock models: give the app's IAM identity bedrock:ListFoundationModels and "
               "bedrock:ListInferenceProfiles (assets/iam/bedrock-playground.json), or type a model id.")


# ---- clients ------------------------------------------------------------------------------------

_clients: dict[tuple[str, float], Any] = {}
_clients_lock = threading.Lock()


def _client(service: str, read_timeout: float) -> Any:
    """A shared client, made on first use; without credentials or region, say what to configure."""
    problem = credentials_problem()
    if problem:
        raise ModelUnavailable(problem)
    with _clients_lock:
        key = (service, read_timeout)
        if key not in _clients:
            import boto3  # imported on first use: the app starts ~0.1 s sooner
            _clients[key] = boto3.session.Session().client(service, config=aws.client_config(read_timeout))
        return _clients[key]


def _call(call: Callable[[], T], model_id: str, sleep: Callable[[float], None]) -> T:
    """One Bedrock call, retried with backoff while throttled, its failure turned into a clear error."""
    try:
        return aws.with_backoff(call, _is_transient, ATTEMPTS, 1.0, sleep)
    except (ClientError, BotoCoreError) as exc:
        raise _explain(exc, model_id, f"after {ATTEMPTS} tries") from exc


def _is_transient(exc: Exception) -> bool:
    return isinstance(exc, ClientError) and aws.error_code(exc).lower() in TRANSIENT_CODES


# ---- model lists --------------------------------------------------------------------------------

def list_chat_models(client: Any = None) -> list[tuple[str, str]]:
    """(label, model id) for every text model that streams, on demand or through a cross-region profile."""
    bedrock = client or _client("bedrock", 30.0)
    summaries = _foundation_models(bedrock, "TEXT")
    chat = {m["modelId"]: m for m in summaries
            if "TEXT" in m.get("inputModalities", []) and m.get("responseStreamingSupported")}
    choices = {m["modelId"]: _label(m) for m in chat.values() if "ON_DEMAND" in m.get("inferenceTypesSupported", [])}
    for profile in _inference_profiles(bedrock):
        models = [arn.rsplit("/", 1)[-1] for arn in (m.get("modelArn", "") for m in profile.get("models", []))]
        if models and models[0] in chat:
            choices[profile["inferenceProfileId"]] = f"{profile['inferenceProfileName']} (cross-region profile)"
    return sorted(((label, model_id) for model_id, label in choices.items()), key=lambda item: item[0].lower())


def _foundation_models(bedrock: Any, modality: str) -> list[dict]:
    try:
        response = aws.with_backoff(lambda: bedrock.list_foundation_models(byOutputModality=modality),
                                    _is_transient, ATTEMPTS, 1.0, time.sleep)
    except ClientError as exc:
        if aws.error_code(exc) == "AccessDeniedException":
            raise ModelUnavailable(LIST_DENIED) from exc
        raise _explain(exc, "the model list", "listing models") from exc
    except BotoCoreError as exc:
        raise _explain(exc, "the model list", "listing models") from exc
    return response["modelSummaries"]


def _label(summary: dict) -> str:
    return f"{summary.get('providerName', '?')} · {summary.get('modelName', summary['modelId'])}"


def _inference_profiles(bedrock: Any) -> Iterator[dict]:
    """System-defined cross-region profiles: newer models are offered only through them."""
    request: dict[str, Any] = {"typeEquals": "SYSTEM_DEFINED"}
    try:
        while True:
            page = bedrock.list_inference_profiles(**request)
            yield from (p for p in page.get("inferenceProfileSummaries", []) if p.get("status") == "ACTIVE")
            if not page.get("nextToken"):
                return
            request["nextToken"] = page["nextToken"]
    except ClientError as exc:
        if aws.error_code(exc) != "AccessDeniedException":  # without this permission, on-demand models still work
            raise _explain(exc, "the profile list", "") from exc


def list_image_models(client: Any = None) -> list[tuple[str, str]]:
    """(label, model id) for the image models whose request format this module speaks."""
    bedrock = client or _client("bedrock", 30.0)
    summaries = _foundation_models(bedrock, "IMAGE")
    usable = [m for m in summaries if m["modelId"].startswith(IMAGE_MODEL_PREFIXES)
              and "TEXT" in m.get("inputModalities", []) and "ON_DEMAND" in m.get("inferenceTypesSupported", [])]
    return sorted(((_label(m), m["modelId"]) for m in usable), key=lambda item: item[0].lower())


# ---- chat ---------------------------------------------------------------------------------------

def chat_request(model_id: str, messages: Sequence[dict], system: str = "", max_tokens: int = 512,
                 temperature: float = 0.7, top_p: float = 1.0,
                 stop_sequences: Sequence[str] | None = None) -> dict:
    """The converse_stream request, after checking every input (InputError says what to fix)."""
    model_id = _model_id(model_id)
    conversation = converse_messages(messages)
    config: dict[str, Any] = {
        "maxTokens": validate.integer(max_tokens, "max tokens", 1, MAX_TOKENS),  # always sent: no model default
        "temperature": validate.number(temperature, "temperature", 0.0, 1.0),
    }
    top_p = validate.number(top_p, "top-p", 0.01, 1.0)
    if top_p < 1.0:  # some models refuse temperature and top-p together; 1.0 means "not set"
        config["topP"] = top_p
    stops = _stop_sequences(stop_sequences)
    if stops:
        config["stopSequences"] = stops
    request: dict[str, Any] = {"modelId": model_id, "messages": conversation, "inferenceConfig": config}
    if system and system.strip():
        request["system"] = [{"text": validate.text(system, "the system prompt", SYSTEM_CHARS)}]
    return request


def _model_id(model_id: Any) -> str:
    if not isinstance(model_id, str) or not model_id.strip():
        raise InputError("Pick a Bedrock model first (press \"Refresh models\" to load the list).")
    model_id = model_id.strip()
    # Model and inference profile ids (anthropic.claude-3-haiku-20240307-v1:0, us.amazon.nova-lite-v1:0) have
    # no slash; ARNs do. Checked here so a typo is named before any AWS call.
    if not (MODEL_ID.fullmatch(model_id) or MODEL_ARN.fullmatch(model_id)):
        raise InputError(f"{model_id[:80]!r} is not a Bedrock model id. Pick one from the list (Refresh models), "
                         "or type an id such as amazon.nova-lite-v1:0 or an inference profile ARN.")
    return model_id


def converse_messages(messages: Sequence[dict]) -> list[dict]:
    """Chat history ({"role", "content"}, content as text or gradio's text parts) in Converse's shape.

    Converse wants user and assistant turns alternating, starting and ending with the user: turns
    in a row from the same side are joined, empty ones dropped.
    """
    turns: list[dict] = []
    for message in messages or []:
        role, text = message.get("role"), _text_of(message.get("content"))
        if role not in ("user", "assistant"):
            continue
        if not text.strip():
            continue
        if len(text) > MESSAGE_CHARS:
            raise InputError(f"A message is {len(text):,} characters; the limit is {MESSAGE_CHARS:,}. Shorten it.")
        validate.characters(text, "the message")
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"][0]["text"] += "\n\n" + text
        else:
            turns.append({"role": role, "content": [{"text": text}]})
    if not turns or turns[-1]["role"] != "user":
        raise InputError("Type a message to send.")
    if turns[0]["role"] != "user":
        turns.pop(0)  # a greeting shown before the user spoke is not part of the conversation
    total = sum(len(turn["content"][0]["text"]) for turn in turns)
    if total > CONVERSATION_CHARS:
        raise InputError(f"The conversation is {total:,} characters; the limit is {CONVERSATION_CHARS:,}. "
                         "Clear the chat and start again.")
    return turns


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        content = [content]
    if isinstance(content, Iterable):
        return "\n".join(part.get("text", "") for part in content if isinstance(part, dict)
                         and part.get("type", "text") == "text")
    return ""


def parse_stop_sequences(text: str | None) -> list[str]:
    """Stop sequences typed one per line."""
    return [line for line in (text or "").splitlines() if line.strip()]


def _stop_sequences(stops: Sequence[str] | str | None) -> list[str]:
    stops = parse_stop_sequences(stops) if isinstance(stops, str) else list(stops or [])
    if len(stops) > STOP_SEQUENCES:
        raise InputError(f"Give at most {STOP_SEQUENCES} stop sequences (one per line); got {len(stops)}.")
    for stop in stops:
        if not isinstance(stop, str) or not stop or len(stop) > STOP_SEQUENCE_CHARS:
            raise InputError(f"Each stop sequence must be 1-{STOP_SEQUENCE_CHARS} characters; got {stop!r}.")
        validate.characters(stop, "a stop sequence")
    return stops


def stream_chat(model_id: str, messages: Sequence[dict], system: str = "", max_tokens: int = 512,
                temperature: float = 0.7, top_p: float = 1.0, stop_sequences: Sequence[str] | None = None,
                client: Any = None, sleep: Callable[[float], None] = time.sleep) -> Iterator[str | dict]:
    """Yield the answer's text as it arrives, then one dict of usage: tokens in and out, latency, stop reason."""
    request = chat_request(model_id, messages, system, max_tokens, temperature, top_p, stop_sequences)
    runtime = client or _client("bedrock-runtime", CHAT_TIMEOUT)
    response = _call(lambda: runtime.converse_stream(**request), request["modelId"], sleep)
    yield from _answer(response["stream"], request["modelId"])


def _answer(stream: Iterable[dict], model_id: str) -> Iterator[str | dict]:
    usage: dict[str, Any] = dict.fromkeys(USAGE)
    try:
        for event in stream:
            if "contentBlockDelta" in event:
                text = event["contentBlockDelta"].get("delta", {}).get("text")
                if text:
                    yield text
            elif "messageStop" in event:
                usage["stop_reason"] = event["messageStop"].get("stopReason")
            elif "metadata" in event:
                counts = event["metadata"].get("usage", {})
                usage.update(input_tokens=counts.get("inputTokens"), output_tokens=counts.get("outputTokens"),
                             total_tokens=counts.get("totalTokens"),
                             latency_ms=event["metadata"].get("metrics", {}).get("latencyMs"))
            else:
                _raise_stream_error(event)
    except (ClientError, BotoCoreError) as exc:
        raise _explain(exc, model_id, "partway through the answer") from exc
    yield usage


def _raise_stream_error(event: dict) -> None:
    """An error event (botocore raises these itself; plain dicts come from other stream sources)."""
    for key, value in event.items():
        if key.endswith("Exception"):
            code = key[0].upper() + key[1:]
            raise ClientError({"Error": {"Code": code, "Message": (value or {}).get("message", "")}},
                              "ConverseStream")


# ---- images -------------------------------------------------------------------------------------

def image_request(model_id: str, prompt: str, width: int, height: int, seed: int, count: int) -> dict:
    """The Titan Image Generator / Nova Canvas TEXT_IMAGE request, after checking every input."""
    if not _model_id(model_id).startswith(IMAGE_MODEL_PREFIXES):
        raise InputError(f"{model_id} is not an Amazon Titan Image Generator or Nova Canvas model, the two "
                         "request formats this tab speaks; pick one of those.")
    cap = 1024 if model_id.startswith("amazon.nova-canvas") else 512
    size = (validate.integer(width, "width", 1, 4096), validate.integer(height, "height", 1, 4096))
    if size not in IMAGE_SIZES:
        raise InputError(f"Size {size[0]}x{size[1]} is not offered; use one of "
                         f"{', '.join(f'{w}x{h}' for w, h in IMAGE_SIZES)}.")
    return {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": validate.text(prompt, "the image prompt", cap)},
        "imageGenerationConfig": {
            "numberOfImages": validate.integer(count, "the number of images", 1, IMAGE_COUNT),
            "width": size[0], "height": size[1],
            "seed": validate.integer(seed, "the seed", 0, IMAGE_SEED_MAX),
            "quality": "standard", "cfgScale": 8.0,
        },
    }


def generate_images(model_id: str, prompt: str, width: int = 1024, height: int = 1024, seed: int = 0,
                    count: int = 1, client: Any = None, sleep: Callable[[float], None] = time.sleep) -> list[bytes]:
    """PNG images for the prompt; the same seed and settings give the same images."""
    body = json.dumps(image_request(model_id, prompt, width, height, seed, count))
    runtime = client or _client("bedrock-runtime", IMAGE_TIMEOUT)
    response = _call(lambda: runtime.invoke_model(modelId=model_id, body=body, contentType="application/json",
                                                  accept="application/json"), model_id, sleep)
    try:
        payload = json.loads(response["body"].read())
    except (ClientError, BotoCoreError) as exc:
        raise _explain(exc, model_id, "while reading the images") from exc
    if payload.get("error"):
        raise ModelUnavailable(f"{model_id} could not make the images: {payload['error']}")
    images = [base64.b64decode(image) for image in payload.get("images") or []]
    if not images or not all(image.startswith(PNG_SIGNATURE) for image in images):
        raise ModelUnavailable(f"{model_id} answered without PNG images; try again, or another model.")
    return images


# ---- show code ----------------------------------------------------------------------------------

def chat_code(message: str, history: Sequence[dict], model_id: str, system: str = "", max_tokens: int = 512,
              temperature: float = 0.7, top_p: float = 1.0, stop_sequences: str = "") -> str:
    """Plain boto3 that sends the chat's request (the conversation up to its last message) and prints the answer
    and the token usage: the last message and the second output of /bedrock_chat."""
    messages = list(history or [])
    if message and message.strip():  # before sending; after it, the history holds the message and the answer
        messages.append({"role": "user", "content": message})
    elif messages and messages[-1].get("role") == "assistant":
        messages.pop()
    request = chat_request(model_id, messages, system, max_tokens, temperature, top_p,
                           parse_stop_sequences(stop_sequences))
    return (
        # JSON without true, false or null is a Python literal too (the request has none)
        f"{_CLIENT}request = {json.dumps(request, indent=4, ensure_ascii=False)}\n"
        "response = client.converse_stream(**request)\n"
        f"answer, usage = \"\", dict.fromkeys({list(USAGE)})\n"
        "for event in response[\"stream\"]:  # the answer arrives in pieces, then why it stopped and the usage\n"
        "    if \"contentBlockDelta\" in event:\n"
        "        answer += event[\"contentBlockDelta\"][\"delta\"].get(\"text\", \"\")\n"
        "    elif \"messageStop\" in event:\n"
        "        usage[\"stop_reason\"] = event[\"messageStop\"].get(\"stopReason\")\n"
        "    elif \"metadata\" in event:\n"
        "        counts = event[\"metadata\"].get(\"usage\", {})\n"
        "        usage.update(input_tokens=counts.get(\"inputTokens\"), output_tokens=counts.get(\"outputTokens\"),\n"
        "                     total_tokens=counts.get(\"totalTokens\"),\n"
        "                     latency_ms=event[\"metadata\"].get(\"metrics\", {}).get(\"latencyMs\"))\n"
        "print(json.dumps([answer, usage], ensure_ascii=False))\n"
    )


def images_code(prompt: str, model_id: str, width: int, height: int, seed: int = 0, count: int = 1) -> str:
    """Plain boto3 that sends the same image request, saves the PNGs it answers and prints their file names (the
    images /bedrock_images shows)."""
    body = image_request(model_id, prompt, width, height, seed, count)
    return (
        f"import base64\n{_CLIENT}body = {json.dumps(body, indent=4, ensure_ascii=False)}\n"
        f"response = client.invoke_model(modelId={model_id!r}, body=json.dumps(body),\n"
        "                               contentType=\"application/json\", accept=\"application/json\")\n"
        "names = []\n"
        "for index, image in enumerate(json.loads(response[\"body\"].read())[\"images\"]):  # base64 PNGs\n"
        "    names.append(f\"image-{index}.png\")\n"
        "    with open(names[-1], \"wb\") as file:\n"
        "        file.write(base64.b64decode(image))\n"
        "print(json.dumps(names))\n"
    )


# Your AWS credentials and region (as for the app: aws configure, or AWS_* variables).
_CLIENT = "import json\n\nimport boto3\n\nclient = boto3.client(\"bedrock-runtime\")  # your credentials and region\n"


# ---- errors -------------------------------------------------------------------------------------

def _explain(exc: ClientError | BotoCoreError, model_id: str, when: str) -> InputError | ModelUnavailable:
    """A Bedrock failure as what it means for the user and what to do about it."""
    if isinstance(exc, BotoCoreError):
        return ModelUnavailable(aws.transport_problem(exc, f"Bedrock ({model_id}{f', {when}' if when else ''})",
                                                      "try again, or ask for fewer tokens or images."))
    return _explain_client_error(aws.error_code(exc), aws.error_message(exc), model_id, when)


def _explain_client_error(code: str, message: str, model_id: str, when: str) -> InputError | ModelUnavailable:
    kind, lowered = code.lower(), message.lower()
    if kind == "accessdeniedexception":
        return ModelUnavailable(
            f"Model access not enabled for {model_id}: enable it for this account and region in the Bedrock "
            "console (Model access; some providers ask for a short use-case form), and give the app's IAM "
            "identity bedrock:InvokeModel and bedrock:InvokeModelWithResponseStream "
            f"(assets/iam/bedrock-playground.json). Bedrock said: {message}")
    if kind in TRANSIENT_CODES:
        return ModelUnavailable(f"Bedrock is throttling or busy for {model_id} ({when}): too many requests for "
                                "the account's quota. Wait a minute and try again, or ask for a higher quota in "
                                "Service Quotas.")
    if kind == "resourcenotfoundexception":
        return ModelUnavailable(f"{model_id} is not offered in this region ({message}); press \"Refresh models\" "
                                "and pick one from the list, or change AWS_DEFAULT_REGION.")
    if kind == "modeltimeoutexception":
        return ModelUnavailable(f"{model_id} took too long ({when}); try again, or ask for fewer tokens.")
    if kind == "validationexception":
        return _explain_validation(message, lowered, model_id)
    return ModelUnavailable(f"Bedrock could not serve {model_id} ({code}, {when}): {message}. Try again.")


def _explain_validation(message: str, lowered: str, model_id: str) -> InputError | ModelUnavailable:
    if any(hint in lowered for hint in ("too long", "too many tokens", "too large", "context length",
                                        "maximum context", "exceeds")):
        return InputError(f"The input is too long for {model_id}: clear the chat, shorten the system prompt or "
                          f"lower max tokens. Bedrock said: {message}")
    if any(hint in lowered for hint in ("on-demand throughput", "not supported", "doesn't support",
                                        "does not support", "inference profile")):
        return ModelUnavailable(f"{model_id} cannot be used this way: {message} Pick another model (cross-region "
                                "profiles are in the list too).")
    if "blocked" in lowered or "content filter" in lowered:
        return InputError(f"Bedrock's content filters blocked this request; rephrase it. ({message})")
    return InputError(f"Bedrock rejected the request: {message}")
