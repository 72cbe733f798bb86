from django.apps import AppConfig


class InterpretersConfig(AppConfig):
    name = "interpreters"
    verbose_name = "Languages and interpreters"
