"""Broadcasts to segments of friends: model, scheduling, delivery."""
