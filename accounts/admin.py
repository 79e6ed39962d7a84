"""Admin for the custom user: email login, full name and role flags, no username."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from .models import User

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


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("full_name",)}),
        ("Roles", {"fields": ROLE_FIELDS}),
        ("Permissions", {"fields": ("is_active", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
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
    list_display = ("email", "full_name", *ROLE_FIELDS, "is_active")
    list_filter = (*ROLE_FIELDS, "is_superuser", "is_active", "groups")
    search_fields = ("email", "full_name")
    ordering = ("full_name", "email")
    readonly_fields = ("last_login", "date_joined")

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
