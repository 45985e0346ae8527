"""The httpx adapter of the webhook port: one POST with a timeout; non-2xx raises."""

from __future__ import annotations

import httpx

from hansa.automation.webhooks import WebhookFailed


class HttpxWebhookSender:
    """Sends flow webhooks over HTTP(S); connection errors and non-2xx answers are retryable."""

    def __init__(self, timeout_seconds: float = 10.0) -> None:
        self.timeout = httpx.Timeout(timeout_seconds)

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        try:
            response = httpx.post(url, content=body, headers=headers, timeout=self.timeout,
                                  follow_redirects=False)
        except httpx.HTTPError as exc:
            raise WebhookFailed(f"POST {url} failed: {type(exc).__name__}: {exc}") from exc
        if not 200 <= response.status_code < 300:
            raise WebhookFailed(f"POST {url} answered {response.status_code}")
        return response.status_code
