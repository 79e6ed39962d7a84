"""Admin for the custom user: email login, full name and role flags, no username."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.errors import DomainError

from .models import User
from .services import user_invite

ROLE_FIELDS = ("is_staff", "is_instructor", "is_student", "is_corporate_student")


class EmailNormalizingMixin:
    def clean_email(self):
        # User.save() lowercases the email; doing it here too lets the form's uniqueness check
        # see "A@x.org" and "a@x.org" as the same login instead of failing in the database.
        return self.cleaned_data["email"].strip().lower()


class UserCreationAdminForm(EmailNormalizingMixin, AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")


class UserChangeAdminForm(EmailNormalizingMixin, UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class NeverSignedInFilter(admin.SimpleListFilter):
    title = _("signed in")
    parameter_name = "signed_in"

    def lookups(self, request, model_admin):
        return [("never", _("never signed in")), ("yes", _("has signed in"))]

    def queryset(self, request, queryset):
        if self.value() == "never":
            return queryset.filter(last_login__isnull=True)
        if self.value() == "yes":
            return queryset.filter(last_login__isnull=False)
        return queryset


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("full_name", "time_zone", "language")}),
        ("Roles", {"fields": ROLE_FIELDS}),
        ("Permissions", {"fields": ("is_active", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "last_invited_at", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "usable_password", "password1", "password2"),
            },
        ),
        ("Roles", {"fields": ROLE_FIELDS}),
    )
    list_display = (
        "email",
        "full_name",
        *ROLE_FIELDS,
        "is_active",
        "signed_in",
        "last_invited_at",
    )
    list_filter = (NeverSignedInFilter, *ROLE_FIELDS, "is_superuser", "is_active", "groups")
    search_fields = ("email", "full_name")
    ordering = ("full_name", "email")
    readonly_fields = ("last_login", "last_invited_at", "date_joined")
    actions = ["invite"]

    @admin.display(description=_("last signed in"), ordering="last_login")
    def signed_in(self, user: User) -> str:
        return user.last_login or _("never signed in")

    @admin.action(description=_("Send an invitation (accounts that never signed in)"))
    def invite(self, request, queryset):
        sent, refused = 0, []
        for user in queryset.order_by("pk"):
            try:
                user_invite(user=user, invited_by=request.user)
            except DomainError as exc:
                refused.append(exc.message)
            else:
                sent += 1
        if sent:
            self.message_user(
                request,
                ngettext("%(count)d invitation sent.", "%(count)d invitations sent.", sent)
                % {"count": sent},
                messages.SUCCESS,
            )
        for message in refused:
            self.message_user(request, message, messages.WARNING)

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # The enrollment form's student picker (an autocomplete) offers learners only; the
        # enrollment service still refuses anyone else with its own message.
        if (
            request.GET.get("app_label") == "enrollments"
            and request.GET.get("model_name") == "enrollment"
            and request.GET.get("field_name") == "student"
        ):
            queryset = queryset.students()
        return queryset, may_have_duplicates
