"""Friend-count progress toward the plan's targets (initiative 1-5's indicator).

targets    content/targets.yaml: the plan's targets per fiscal year, validated
insight    fetch LINE's daily Insight follower statistics into snapshots (sync)
ledger     follows, re-follows and unfollows per day from the webhook's ledger
report     pure functions: snapshots + targets + ledger + today -> the progress report
alerts     pushes to operators when the pace falls behind or blocks spike
"""
