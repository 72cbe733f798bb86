from django.dispatch import Signal

# Sent after a transaction that wrote outbox events has committed. The notifications app listens
# and kicks its relay; scheduler itself never imports notifications.
events_recorded = Signal()
