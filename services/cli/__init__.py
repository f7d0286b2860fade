"""`meshconsole admin …`: the operator CLI over the gateway's admin API."""
