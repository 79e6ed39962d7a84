"""API tokens die with the credentials they were issued for.

- A password change (the password change page, the admin, ``manage.py changepassword``, any
  ``set_password`` followed by ``save``) revokes the user's token, as Django already ends
  their other browser sessions.
- A web logout (the site's or the admin's) revokes it too: "log out" ends the user's API
  access as ``POST /api/v1/auth/logout`` does (one token per user, so that signs out every
  API client of the user), and a browser left signed in elsewhere is ended by the next
  password change.
"""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import User
from accounts.services import api_token_revoke


@receiver(post_save, sender=User, dispatch_uid="accounts.revoke_tokens_on_password_change")
def revoke_tokens_on_password_change(sender, instance: User, created: bool, **kwargs):
    # set_password() keeps the new raw password in _password until save() has stored the
    # hash (AbstractBaseUser.save clears it after post_save): that marks a password change.
    if not created and getattr(instance, "_password", None) is not None:
        api_token_revoke(user=instance)


@receiver(user_logged_out, dispatch_uid="accounts.revoke_tokens_on_logout")
def revoke_tokens_on_logout(sender, request, user, **kwargs):
    if user is not None:
        api_token_revoke(user=user)
