"""A local stand-in for Twilio, SendGrid and FCM: the parts of their HTTP APIs the SDKs call.

It records every message, can be told to make an address fail in a given way,
and posts signed status webhooks back, so notify's delivery loop runs end to
end on one machine (`make run`, integration tests, benchmarks). Run it with
`python -m services.sandbox`; drive it from tests with `SandboxClient` and
`running_sandbox()`.
"""
