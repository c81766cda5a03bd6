"""The event pipeline: everything between LINE's webhook and LINE's Messaging API.

- `inbox`: verify, record (request path); claim, dispatch (workers).
- `outbox`: the one way anything reaches LINE — enqueue (reply/push/multicast), claim,
  send, back off, settle; push fallback and the month's quota.
- `worker`: the threads of a process (answering and sending apart) and `run_until_idle`.
- `stats`: queue depth, ages, live workers: /healthz and the /metrics collector.
- `prune`: deletes handled events and settled outbox rows older than N days.
"""
