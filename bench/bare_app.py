"""Baseline (b): a bare Flask webhook that only verifies the signature and parses the events.

The floor of what any line-bot-sdk webhook must do per request (WebhookParser: HMAC check,
JSON, SDK event models) and nothing else: no reply, no storage. Its throughput is the limit
the bot is measured against. Run by bench/webhook.py: ``gunicorn bench.bare_app:app``.
"""

from __future__ import annotations

import os

from flask import Flask, abort, request
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError

app = Flask(__name__)
parser = WebhookParser(os.environ["LINE_CHANNEL_SECRET"])


@app.post("/callback")
def callback() -> str:
    signature = request.headers["X-Line-Signature"]
    body = request.get_data(as_text=True)
    try:
        parser.parse(body, signature)
    except InvalidSignatureError:
        abort(400)
    return "OK"
