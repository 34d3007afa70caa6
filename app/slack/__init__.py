"""Slack adapter: a slack-bolt app over the answer, chat and summary services (HTTP and Socket Mode)."""
