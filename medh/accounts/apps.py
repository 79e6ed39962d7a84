from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "medh.accounts"
    label = "accounts"
    verbose_name = "Accounts"
