"""The upload form of bulk imports: it reads the file; ``enrollments.importing`` decides."""

from django import forms

from core.errors import DomainError

from .importing import MAX_BYTES, import_parse
from .models import ImportMode

# Spreadsheets are the usual wrong upload: say what to do instead of "not UTF-8".
SPREADSHEET_SUFFIXES = (".xls", ".xlsx", ".xlsm", ".ods", ".numbers")


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text=(
            "UTF-8, with the header row email, full_name, course_code, batch_code, "
            f"enrollment_type; at most {MAX_BYTES // (1024 * 1024)} MB."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    mode = forms.ChoiceField(
        label="When some rows are invalid",
        choices=ImportMode.choices,
        initial=ImportMode.VALID_ROWS,
        widget=forms.RadioSelect,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.name.lower().endswith(SPREADSHEET_SUFFIXES):
            raise forms.ValidationError(
                "This is a spreadsheet file, not a CSV. Save the sheet as “CSV UTF-8” and "
                "upload that."
            )
        # Check the size before reading: an oversized upload is refused without loading it.
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"The file is too large ({upload.size // 1024} KB); the limit is "
                f"{MAX_BYTES // (1024 * 1024)} MB. Split it into several imports."
            )
        try:
            self.cleaned_data["rows"] = import_parse(data=upload.read())
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None
        return upload
