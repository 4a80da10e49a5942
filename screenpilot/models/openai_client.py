"""Qwen3-VL behind any OpenAI-compatible server: vLLM, SGLang, or `screenpilot serve-model`.

Images travel as base64 PNG data URLs, resized here to the visual-token budget first (less to
upload, and no reliance on the server's own pixel limits). Every request has a timeout;
connection failures, timeouts and 5xx answers are retried a bounded number of times with a
growing pause; 4xx answers and replies that are not chat completions fail at once with the
server's words.

Serving Qwen3-VL with vLLM (>= 0.11), on one GPU:

    vllm serve Qwen/Qwen3-VL-4B-Instruct --max-model-len 32768 \\
        --limit-mm-per-prompt '{"image": 4, "video": 0}'

and tensor-parallel over four GPUs (a larger checkpoint):

    vllm serve Qwen/Qwen3-VL-32B-Instruct --tensor-parallel-size 4 \\
        --mm-encoder-tp-mode data --max-model-len 32768 \\
        --limit-mm-per-prompt '{"image": 4, "video": 0}'
"""

from __future__ import annotations

import base64
import io
import json
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

from screenpilot.models.runtime import (
    GREEDY,
    Generation,
    Message,
    ModelRuntimeError,
    Sampling,
    TokenLogprob,
    check_image,
)
from screenpilot.perception.geometry import Size
from screenpilot.perception.sizing import VisualBudget


class OpenAIRuntime:
    """A chat-completions endpoint at `base_url` (e.g. http://127.0.0.1:8000/v1)."""

    def __init__(
        self,
        base_url: str,
        *,
        model: str = "Qwen/Qwen3-VL-4B-Instruct",
        api_key: str | None = None,
        budget: VisualBudget | None = None,
        timeout: float = 120.0,
        retries: int = 2,
    ) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model, self.api_key = model, api_key
        self.budget = budget or VisualBudget()
        self.timeout, self.retries = timeout, retries

    def generate(
        self, messages: Sequence[Message], sampling: Sampling = GREEDY, *, logprobs: bool = False
    ) -> Generation:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [self._message(m) for m in messages],
            "max_tokens": sampling.max_new_tokens,
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
        }
        if sampling.top_k is not None:
            body["top_k"] = sampling.top_k
        if logprobs:
            body["logprobs"] = True
        if sampling.thinking:
            body["chat_template_kwargs"] = {"enable_thinking": True}
        start = time.perf_counter()
        reply = self._post(body)
        try:
            choice = reply["choices"][0]
            raw = choice["message"]["content"] or ""
            # vLLM with a reasoning parser hands the thinking apart from the answer.
            reasoning = choice["message"].get("reasoning_content") or choice["message"].get(
                "reasoning"
            )
            if reasoning:
                raw = f"<think>{reasoning}</think>{raw}"
            entries = ((choice.get("logprobs") or {}).get("content")) if logprobs else None
            tokens = (
                [TokenLogprob(e["token"], float(e["logprob"])) for e in entries]
                if entries
                else None
            )
            used = int((reply.get("usage") or {}).get("prompt_tokens", 0))
        except (KeyError, IndexError, TypeError, ValueError):
            raise ModelRuntimeError(
                f"{self.url} answered something that is not a chat completion: {str(reply)[:200]}"
            ) from None
        return Generation.from_raw(
            raw, tokens=tokens, prompt_tokens=used, seconds=time.perf_counter() - start
        )

    def _message(self, message: Message) -> dict[str, Any]:
        parts: list[dict[str, Any]] = []
        for item in message.content:
            if isinstance(item, str):
                parts.append({"type": "text", "text": item})
            else:
                check_image(item)
                seen = self.budget.resize(Size(width=item.width, height=item.height))
                image = item.convert("RGB").resize((seen.width, seen.height))
                buffer = io.BytesIO()
                image.save(buffer, "PNG")
                url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
                parts.append({"type": "image_url", "image_url": {"url": url}})
        return {"role": message.role, "content": parts}

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        data = json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(0.5 * 2 ** (attempt - 1))
            request = urllib.request.Request(self.url, data=data, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    text = response.read().decode("utf-8", errors="replace")
            except urllib.error.HTTPError as error:
                detail = error.read().decode("utf-8", errors="replace")[:300]
                if error.code < 500:
                    raise ModelRuntimeError(
                        f"{self.url} refused the request ({error.code}): {detail}"
                    ) from None
                last = f"server error {error.code}: {detail}"
                continue
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                reason = getattr(error, "reason", error)
                last = f"{reason}"
                continue
            try:
                reply: dict[str, Any] = json.loads(text)
            except json.JSONDecodeError:
                raise ModelRuntimeError(
                    f"{self.url} answered something that is not JSON: {text[:200]!r}"
                ) from None
            return reply
        raise ModelRuntimeError(
            f"no answer from {self.url} after {self.retries + 1} tries (last: {last}); "
            "is the model server running?"
        )
