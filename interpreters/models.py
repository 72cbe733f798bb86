from django.db import models


class Language(models.Model):
    """A language a visitor speaks, by its BCP 47 code, and what the phone channels can do in it."""

    class Direction(models.TextChoices):
        LTR = "ltr", "left to right"
        RTL = "rtl", "right to left"

    code = models.CharField(max_length=16, unique=True, help_text="BCP 47 code, e.g. ar, ti, ckb.")
    name = models.CharField(max_length=64, help_text="English name, for staff.")
    endonym = models.CharField(max_length=64, help_text="The name in the language itself.")
    direction = models.CharField(max_length=3, choices=Direction.choices, default=Direction.LTR)
    has_sms_catalogue = models.BooleanField(
        default=False, help_text="Messages can be written in this language."
    )
    has_voice = models.BooleanField(
        default=False, help_text="The phone menu can speak this language."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"
