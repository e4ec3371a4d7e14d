"""LLM judges against any OpenAI-compatible chat-completions endpoint.

One `LLMJudge` serves one run. It sends each item with a strict JSON-schema response
format, validates the reply into a `Verdict`, and turns every way a call can go wrong into
an explicit `Judgment` status, never a made-up score:

* transient faults (429, 5xx, timeouts, dropped connections) are retried with exponential
  backoff and full jitter, honouring the server's Retry-After; after `max_attempts` the
  item is `failed` with the last error;
* an invalid reply (bad JSON, truncated, wrong schema) is retried `invalid_output_retries`
  times with the validation error appended to the conversation, then `failed`;
* a refusal or content filter is `failed` with the reason, not retried;
* once the run's budget cannot cover the next request, the remaining items are `deferred`
  unsent, for the next run to pick up.

The SDK's own retries are off (`max_retries=0`) so that every attempt is counted,
budgeted and redacted here. Requests go out through the SDK client's `post` rather than
`chat.completions.create`, see `_chat_completion` for why.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import json
import math
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Literal, Mapping

import httpx2
import msgspec
import openai
from openai.types.chat import ChatCompletion

from learning_pipeline.capture.redaction import redact_obj
from learning_pipeline.judging import prompts
from learning_pipeline.judging.rubrics import DEFAULT_RUBRICS, Rubric
from learning_pipeline.judging.verdicts import JudgeItem, Judgment, PairwiseResult, Verdict

Progress = Callable[[int], None]  # items done so far (the `Judge` protocol's callback)

# Until real replies tell us better, assume a verdict costs this many output tokens.
_DEFAULT_COMPLETION_TOKENS = 600
_TOKENS_PER_IMAGE = 1000  # a high-detail screenshot is 765..1105 tokens on OpenAI models
_CHARS_PER_TOKEN = 4


@dataclass
class LLMSettings:
    base_url: str
    api_key: str
    model: str
    concurrency: int = 32
    timeout_s: float = 60
    max_attempts: int = 5  # HTTP attempts per request, the first included
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30  # also the longest Retry-After honoured
    budget_usd: float | None = None
    price_per_1k_input: float = 0.0
    price_per_1k_output: float = 0.0
    invalid_output_retries: int = 1

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.price_per_1k_input + completion_tokens * self.price_per_1k_output) / 1000


@dataclass
class RunUsage:
    """What this judge has spent and how its items ended, across all its calls."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    requests: int = 0  # HTTP requests sent
    retries: int = 0  # requests that repeated an earlier one (transient fault or invalid output)
    deferred: int = 0
    failed: int = 0


# --- reply validation ---------------------------------------------------------------------

class InvalidOutput(ValueError):
    """The reply is not what the schema asked for; the message goes back to the model."""


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not (math.isfinite(value) and low <= value <= high):
        raise InvalidOutput(f"{name} must be between {low:g} and {high:g}, got {value!r}")


def parse_verdict(raw: str | None, rubric: Rubric) -> Verdict:
    if not raw:
        raise InvalidOutput("the reply was empty")
    try:
        verdict = msgspec.json.decode(raw, type=Verdict)
    except msgspec.DecodeError as exc:  # ValidationError is a DecodeError
        raise InvalidOutput(f"not a valid verdict JSON object: {exc}") from None
    expected, got = set(rubric.categories), set(verdict.categories)
    if got != expected:
        raise InvalidOutput(
            f"categories must be exactly {sorted(expected)}; "
            f"missing {sorted(expected - got)}, unexpected {sorted(got - expected)}"
        )
    _check_range("overall", verdict.overall, 0, 100)
    for name, score in verdict.categories.items():
        _check_range(f"categories.{name}", score, 0, 100)
    _check_range("confidence", verdict.confidence, 0, 1)
    for issue in verdict.issues:
        if issue.category not in expected:
            raise InvalidOutput(f"issue category {issue.category!r} is not one of {sorted(expected)}")
    return verdict


class PairwiseVerdict(msgspec.Struct):
    winner: Literal["A", "B", "tie"]
    confidence: float
    reasoning: str = ""


def parse_pairwise(raw: str | None) -> PairwiseVerdict:
    if not raw:
        raise InvalidOutput("the reply was empty")
    try:
        answer = msgspec.json.decode(raw, type=PairwiseVerdict)
    except msgspec.DecodeError as exc:
        raise InvalidOutput(f"not a valid comparison JSON object: {exc}") from None
    _check_range("confidence", answer.confidence, 0, 1)
    return answer


# --- transient faults ---------------------------------------------------------------------

def retry_after_seconds(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """The wait a server asked for: `retry-after-ms`, `retry-after` seconds or HTTP date."""
    if not headers:
        return None
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _is_transient(exc: Exception) -> bool:
    if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError)):
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in (408, 429) or exc.status_code >= 500
    return False


def _describe(exc: Exception) -> str:
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code} {type(exc).__name__}: {exc.message}"
    return f"{type(exc).__name__}: {exc}"


# --- one structured call --------------------------------------------------------------------

async def _chat_completion(client: openai.AsyncOpenAI, body: dict) -> ChatCompletion:
    """POST /chat/completions through the SDK (auth, timeouts, typed errors and response).

    `client.chat.completions.create(**body)` would first run the SDK's typed-params
    transform, which walks every message against a union of seven message types and
    every node of our JSON schema: about a third of the SDK's CPU per request, and the
    difference between keeping up with 32 concurrent requests on one core or not. The
    body here is already plain JSON, which is all the transform would produce.
    """
    return await client.post("/chat/completions", body=body, cast_to=ChatCompletion)


@dataclass
class _Exchange:
    """How one structured request ended, over all its attempts."""

    status: Literal["ok", "failed", "deferred"]
    parsed: object = None
    error: str | None = None
    model_used: str = ""
    thinking: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    attempts: int = 0
    invalid_outputs: list[str] = field(default_factory=list)


class _BudgetExhausted(Exception):
    """The run cannot afford the next request: defer, do not fail."""


class _GaveUp(Exception):
    """Transient faults outlasted `max_attempts`."""


@dataclass
class _LoopSession:
    """The client and semaphore of one event loop (both are bound to the loop they run on)."""

    loop: asyncio.AbstractEventLoop
    client: openai.AsyncOpenAI
    slots: asyncio.Semaphore


def _estimated_prompt_tokens(messages: list[dict]) -> int:
    chars, images = 0, 0
    for message in messages:
        content = message["content"]
        if isinstance(content, str):
            chars += len(content)
            continue
        for part in content:
            if part.get("type") == "image_url":
                images += 1
            else:
                chars += len(part.get("text", ""))
    return chars // _CHARS_PER_TOKEN + images * _TOKENS_PER_IMAGE


def _thinking_of(message: object) -> str | None:
    """Reasoning text that OpenAI-compatible servers put beside the content (vLLM, DeepSeek...)."""
    extra = getattr(message, "model_extra", None) or {}
    for name in ("reasoning_content", "reasoning", "thinking"):
        value = getattr(message, name, None) or extra.get(name)
        if isinstance(value, str) and value:
            return value
    return None


class LLMJudge:
    """Judges items and pairs with one model; `usage` and the budget span the judge's life,
    so make one per run. Safe to call from sync code, async code, or both in turn."""

    name = "llm"

    def __init__(self, settings: LLMSettings, rubrics: dict[str, Rubric] = DEFAULT_RUBRICS):
        if settings.concurrency < 1 or settings.max_attempts < 1:
            raise ValueError("concurrency and max_attempts must be at least 1")
        self.settings = settings
        self.rubrics = rubrics
        self.usage = RunUsage()
        self._session: _LoopSession | None = None
        self._reserved_usd = 0.0  # estimated cost of requests in flight
        self._budget_exhausted = False
        self._completion_tokens_seen = 0
        self._completions_seen = 0
        self._versions: dict[str, str] = {}

    # -- identity ------------------------------------------------------------------------

    def judge_version(self, judge_type: str) -> str:
        if judge_type in self._versions:
            return self._versions[judge_type]
        rubric = self._rubric(judge_type)
        material = json.dumps(
            {
                "backend": "llm",
                "model": self.settings.model,
                "prompt": prompts.prompt_fingerprint(judge_type, rubric),
                "weights": rubric.weights,
            },
            sort_keys=True,
        )
        version = f"llm-{hashlib.sha256(material.encode()).hexdigest()[:16]}"
        self._versions[judge_type] = version
        return version

    def _rubric(self, judge_type: str) -> Rubric:
        try:
            return self.rubrics[judge_type]
        except KeyError:
            raise ValueError(f"no rubric for judge type {judge_type!r}; known: {sorted(self.rubrics)}") from None

    # -- client per event loop -------------------------------------------------------------

    def _loop_session(self) -> _LoopSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.loop is not loop:
            limit = self.settings.concurrency
            # Exactly `concurrency` kept-alive connections: fewer and the pool, not the
            # semaphore, would bound us; more and the pool probes every surplus idle socket
            # for expiry on each request it assigns.
            http_client = httpx2.AsyncClient(
                limits=httpx2.Limits(max_connections=limit, max_keepalive_connections=limit),
                timeout=self.settings.timeout_s,
            )
            client = openai.AsyncOpenAI(
                base_url=self.settings.base_url,
                api_key=self.settings.api_key,
                max_retries=0,
                timeout=self.settings.timeout_s,
                http_client=http_client,
            )
            self._session = _LoopSession(loop, client, asyncio.Semaphore(limit))
        return self._session

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None and session.loop is asyncio.get_running_loop():
            await session.client.close()

    # -- budget ----------------------------------------------------------------------------

    def _estimated_cost(self, messages: list[dict]) -> float:
        completion = (
            self._completion_tokens_seen / self._completions_seen
            if self._completions_seen else _DEFAULT_COMPLETION_TOKENS
        )
        return self.settings.cost(_estimated_prompt_tokens(messages), round(completion))

    def _reserve(self, estimate: float) -> None:
        """Claim budget for a request about to be sent, or raise if the run cannot afford it."""
        budget = self.settings.budget_usd
        if budget is None:
            return
        # Once one request did not fit, the rest of the run waits for the next one, so items
        # are deferred in order rather than cheap ones slipping through behind a costly one.
        if self._budget_exhausted or self.usage.cost_usd + self._reserved_usd + estimate > budget:
            self._budget_exhausted = True
            raise _BudgetExhausted(
                f"budget exhausted: ${self.usage.cost_usd:.4f} spent and ${self._reserved_usd:.4f} in flight "
                f"of ${budget:.4f}, next request ~${estimate:.4f}; left for the next run"
            )
        self._reserved_usd += estimate

    def _record_usage(self, prompt_tokens: int, completion_tokens: int) -> float:
        cost = self.settings.cost(prompt_tokens, completion_tokens)
        self.usage.prompt_tokens += prompt_tokens
        self.usage.completion_tokens += completion_tokens
        self.usage.cost_usd += cost
        self._completion_tokens_seen += completion_tokens
        self._completions_seen += 1
        return cost

    # -- the call ----------------------------------------------------------------------------

    def _backoff(self, attempt: int, exc: Exception) -> float:
        response = getattr(exc, "response", None)
        asked = retry_after_seconds(response.headers if response is not None else None)
        if asked is not None:
            return min(asked, self.settings.backoff_max_s)
        ceiling = min(self.settings.backoff_max_s, self.settings.backoff_base_s * 2 ** (attempt - 1))
        return random.uniform(0, ceiling)  # full jitter spreads a burst of 429s apart

    async def _send(self, messages: list[dict], schema_name: str, schema: dict, exchange: _Exchange):
        """One chat completion, retried over transient faults; raises on giving up."""
        payload, _ = redact_obj(messages)  # last line of defence: nothing unredacted leaves
        session = self._loop_session()
        last_error = ""
        for attempt in range(1, self.settings.max_attempts + 1):
            async with session.slots:
                estimate = self._estimated_cost(payload)
                self._reserve(estimate)
                exchange.attempts += 1
                self.usage.requests += 1
                if exchange.attempts > 1:
                    self.usage.retries += 1
                try:
                    return await _chat_completion(session.client, {
                        "model": self.settings.model,
                        "messages": payload,
                        "response_format": prompts.response_format(schema_name, schema),
                    })
                except openai.APIError as exc:
                    if not _is_transient(exc):
                        raise
                    failure = exc
                    last_error = _describe(exc)
                finally:
                    if self.settings.budget_usd is not None:
                        self._reserved_usd -= estimate
            if attempt < self.settings.max_attempts:
                await asyncio.sleep(self._backoff(attempt, failure))
        raise _GaveUp(f"gave up after {self.settings.max_attempts} attempts: {last_error}")

    async def _exchange(self, messages: list[dict], schema_name: str, schema: dict,
                        parse: Callable[[str | None], object]) -> _Exchange:
        """Ask, validate, and on an invalid reply ask again with the error appended."""
        exchange = _Exchange(status="failed", model_used=self.settings.model)
        conversation = list(messages)
        for _ in range(1 + self.settings.invalid_output_retries):
            try:
                response = await self._send(conversation, schema_name, schema, exchange)
            except _BudgetExhausted as exc:
                exchange.status, exchange.error = "deferred", str(exc)
                return exchange
            except _GaveUp as exc:
                exchange.error = str(exc)
                return exchange
            except openai.APIError as exc:  # a 400, 401, 404...: asking again will not help
                exchange.error = f"request rejected: {_describe(exc)}"
                return exchange

            exchange.model_used = response.model or self.settings.model
            usage = response.usage
            if usage is not None:
                prompt_tokens, completion_tokens = usage.prompt_tokens or 0, usage.completion_tokens or 0
            else:  # a server that reports no usage is still charged for, by estimate
                prompt_tokens = _estimated_prompt_tokens(conversation)
                completion_tokens = len(response.choices[0].message.content or "") // _CHARS_PER_TOKEN if response.choices else 0
            exchange.prompt_tokens += prompt_tokens
            exchange.completion_tokens += completion_tokens
            exchange.cost_usd += self._record_usage(prompt_tokens, completion_tokens)

            if not response.choices:
                reply_error = "the response held no choices"
                raw = None
            else:
                choice = response.choices[0]
                message = choice.message
                if message.refusal or choice.finish_reason == "content_filter":
                    reason = message.refusal or "the provider's content filter stopped the reply"
                    exchange.error = f"refused: {reason}"
                    return exchange
                raw = message.content
                try:
                    if choice.finish_reason == "length":
                        raise InvalidOutput("the reply was truncated (finish_reason=length) before the JSON ended")
                    exchange.parsed = parse(raw)
                except InvalidOutput as exc:
                    reply_error = str(exc)
                else:
                    exchange.status = "ok"
                    exchange.thinking = _thinking_of(message)
                    return exchange
            exchange.invalid_outputs.append(reply_error)
            conversation = conversation + [
                {"role": "assistant", "content": raw or ""},
                {"role": "user", "content": prompts.invalid_output_feedback(reply_error)},
            ]
        exchange.error = (
            f"invalid output after {len(exchange.invalid_outputs)} replies: {exchange.invalid_outputs[-1]}"
        )
        return exchange

    # -- judging -----------------------------------------------------------------------------

    async def _judge_one(self, item: JudgeItem) -> Judgment:
        try:
            rubric = self._rubric(item.judge_type)
            judge_version = self.judge_version(item.judge_type)
        except ValueError as exc:
            self.usage.failed += 1
            return Judgment(item, "", self.settings.model, "failed", error=str(exc))
        try:
            exchange = await self._exchange(
                prompts.build_messages(item, rubric),
                prompts.verdict_schema_name(rubric),
                prompts.verdict_schema(rubric),
                lambda raw: parse_verdict(raw, rubric),
            )
        except Exception as exc:  # one odd item must not sink the other judgments of the run
            exchange = _Exchange(status="failed", model_used=self.settings.model,
                                 error=f"unexpected error: {type(exc).__name__}: {exc}")
        verdict = exchange.parsed if exchange.status == "ok" else None
        if verdict is not None and exchange.thinking:
            verdict.thinking_trace = exchange.thinking
        if exchange.status == "failed":
            self.usage.failed += 1
        elif exchange.status == "deferred":
            self.usage.deferred += 1
        extra = {"invalid_outputs": exchange.invalid_outputs} if exchange.invalid_outputs else {}
        return Judgment(
            item=item,
            judge_version=judge_version,
            model_used=exchange.model_used,
            status=exchange.status,
            verdict=verdict,
            error=exchange.error,
            prompt_tokens=exchange.prompt_tokens,
            completion_tokens=exchange.completion_tokens,
            cost_usd=exchange.cost_usd,
            attempts=exchange.attempts,
            extra=extra,
        )

    async def ajudge_many(self, items: list[JudgeItem], progress: Progress | None = None) -> list[Judgment]:
        """Judgments in the order of `items`; at most `concurrency` requests in flight."""
        done = 0
        # Admit a couple of items per request slot: enough that a slot never waits for a
        # prompt to be built, few enough that the loop is not busy preparing thousands of
        # payloads while replies wait to be read.
        admission = asyncio.Semaphore(2 * self.settings.concurrency)

        async def judge(item: JudgeItem) -> Judgment:
            nonlocal done
            async with admission:
                judgment = await self._judge_one(item)
            done += 1
            if progress is not None:
                progress(done)
            return judgment

        return list(await asyncio.gather(*(judge(item) for item in items)))

    def judge_many(self, items: list[JudgeItem], progress: Progress | None = None) -> list[Judgment]:
        return _run_sync(self._closing(self.ajudge_many(items, progress)))

    # -- pairwise ----------------------------------------------------------------------------

    async def _ask_pair(self, prompt: str, first: str, second: str, rubric: Rubric) -> _Exchange:
        return await self._exchange(
            prompts.build_pairwise_messages(prompt, first, second, rubric),
            prompts.PAIRWISE_SCHEMA_NAME,
            prompts.PAIRWISE_SCHEMA,
            parse_pairwise,
        )

    async def acompare(self, prompt: str, a: str, b: str, judge_type: str) -> PairwiseResult:
        """A vs B, asked in both orders; a winner only when both orders agree."""
        rubric = self._rubric(judge_type)
        forward, backward = await asyncio.gather(
            self._ask_pair(prompt, a, b, rubric), self._ask_pair(prompt, b, a, rubric)
        )
        for exchange in (forward, backward):
            if exchange.status != "ok":  # failed, or deferred by the budget: no answer, asked again next run
                return PairwiseResult(None, position_consistent=False, error=exchange.error, status=exchange.status)
        first: PairwiseVerdict = forward.parsed  # type: ignore[assignment]
        second: PairwiseVerdict = backward.parsed  # type: ignore[assignment]
        swapped_back = {"A": "B", "B": "A", "tie": "tie"}[second.winner]
        consistent = first.winner == swapped_back
        return PairwiseResult(
            winner=first.winner if consistent else "tie",
            position_consistent=consistent,
            # an answer that flips with the order says nothing about the responses
            confidence=(first.confidence + second.confidence) / 2 if consistent else 0.0,
            reasoning=f"shown as (a, b): {first.reasoning}\nshown as (b, a): {second.reasoning}",
            first_order=first.winner,
            second_order=swapped_back,
        )

    async def acompare_many(self, pairs: list[tuple[str, str, str]], judge_type: str) -> tuple[list[PairwiseResult], float]:
        admission = asyncio.Semaphore(self.settings.concurrency)  # each pair is two requests

        async def compare(prompt: str, a: str, b: str) -> PairwiseResult:
            async with admission:
                try:
                    return await self.acompare(prompt, a, b, judge_type)
                except Exception as exc:  # one odd pair must not sink the other comparisons of the run
                    return PairwiseResult(None, position_consistent=False, status="failed",
                                          error=f"unexpected error: {type(exc).__name__}: {exc}")

        results = list(await asyncio.gather(*(compare(p, a, b) for p, a, b in pairs)))
        # a comparison that failed (or was deferred) says nothing about position bias
        answered = [r for r in results if r.error is None]
        rate = sum(r.position_consistent for r in answered) / len(answered) if answered else 1.0
        return results, rate

    def compare_many(self, pairs: list[tuple[str, str, str]], judge_type: str) -> tuple[list[PairwiseResult], float]:
        """Results in pair order, and the share of answered pairs whose answer held under swapping."""
        return _run_sync(self._closing(self.acompare_many(pairs, judge_type)))

    async def _closing(self, work):
        try:
            return await work
        finally:
            await self.aclose()  # the loop is about to end; its connections go with it


def _new_event_loop() -> asyncio.AbstractEventLoop:
    # uvloop (there when uvicorn's extras are) roughly halves the event loop's own cost per
    # request, which matters when one core drives hundreds of requests a second.
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def _run_in_new_loop(coroutine):
    with asyncio.Runner(loop_factory=_new_event_loop) as runner:
        return runner.run(coroutine)


def _run_sync(coroutine):
    """Run a coroutine to completion from sync code, even when called inside a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run_in_new_loop(coroutine)
    # A running loop (a notebook, an async Dagster op) cannot be re-entered: use a fresh loop
    # in a worker thread and wait for it.
    outcome: dict = {}

    def target() -> None:
        try:
            outcome["value"] = _run_in_new_loop(coroutine)
        except BaseException as exc:  # handed back to the caller below
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="llm-judge-sync")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
