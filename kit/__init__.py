"""The domain-free floor: database base, errors, event envelope, outbox, crypto, calendar."""
